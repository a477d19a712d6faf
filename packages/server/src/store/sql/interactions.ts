import type { Interaction } from "../../core/interactions.js";
import { interactionParams, toInteraction, type InteractionRow } from "../interaction-rows.js";
import type { InteractionStore } from "../store.js";
import { insertRow, type SqlDb } from "./db.js";
import { LeasedTable } from "./leased-table.js";
import { RUNNING_INTERACTION } from "./states.js";

/** A runner works on background interactions in progress; one that requires action waits for its client. */
export class SqlInteractions extends LeasedTable<InteractionRow, Interaction> implements InteractionStore {
  constructor(db: SqlDb) {
    super(
      db,
      { table: "interactions", toItem: toInteraction, newestFirst: true },
      { renewable: `status = ${RUNNING_INTERACTION}`, runnable: `background = ${db.dialect.true}` },
    );
  }

  async insert(interaction: Interaction): Promise<void> {
    await insertRow(this.db, "interactions", interactionParams(interaction));
  }

  /** A finished interaction lets go of its run lease. */
  async update(interaction: Interaction): Promise<void> {
    await this.db.run(
      `UPDATE interactions SET status = :status, steps = :steps, usage = :usage, error = :error, updated_at = :updated_at,
       ended_at = :ended_at, resumed_by = :resumed_by,
       lease_until = CASE WHEN :status = ${RUNNING_INTERACTION} THEN lease_until END WHERE id = :id`,
      interactionParams(interaction),
    );
  }
}
