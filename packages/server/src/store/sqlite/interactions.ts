import type { Interaction } from "../../core/interactions.js";
import { type Page, type PageRequest, toPage } from "../../core/pages.js";
import {
  INTERACTION_COLUMNS,
  interactionUpdateValues,
  interactionValues,
  toInteraction,
  type InteractionRow,
} from "../interaction-rows.js";
import type { InteractionStore } from "../store.js";
import { SqliteAggregate } from "./aggregate.js";

const PLACEHOLDERS = INTERACTION_COLUMNS.split(",")
  .map(() => "?")
  .join(", ");

export class SqliteInteractions extends SqliteAggregate implements InteractionStore {
  insert(interaction: Interaction): Promise<void> {
    return this.run(() => {
      this.statement(`INSERT INTO interactions (${INTERACTION_COLUMNS}) VALUES (${PLACEHOLDERS})`).run(
        ...interactionValues(interaction, interaction.background ? 1 : 0),
      );
    });
  }

  get(projectId: string, id: string): Promise<Interaction | undefined> {
    return this.run(() => {
      const row = this.statement("SELECT * FROM interactions WHERE project_id = ? AND id = ?").get(projectId, id) as
        | InteractionRow
        | undefined;
      return row && toInteraction(row);
    });
  }

  /** BEGIN IMMEDIATE already holds the database's write lock: a plain read is a locked read. */
  getForUpdate(projectId: string, id: string): Promise<Interaction | undefined> {
    return this.get(projectId, id);
  }

  update(interaction: Interaction): Promise<void> {
    return this.run(() => {
      this.statement(
        `UPDATE interactions SET status = ?, steps = ?, usage = ?, error = ?, updated_at = ?, ended_at = ?, resumed_by = ?,
         lease_until = CASE WHEN ? = 'in_progress' THEN lease_until END WHERE id = ?`,
      ).run(...interactionUpdateValues(interaction).slice(0, 7), interaction.status, interaction.id);
    });
  }

  delete(projectId: string, id: string): Promise<boolean> {
    return this.run(
      () => this.statement("DELETE FROM interactions WHERE project_id = ? AND id = ?").run(projectId, id).changes > 0,
    );
  }

  list(projectId: string, page: PageRequest): Promise<Page<Interaction>> {
    return this.run(() => {
      const rows = this.statement(
        "SELECT * FROM interactions WHERE project_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
      ).all(projectId, page.pageSize + 1, page.offset) as InteractionRow[];
      return toPage(rows.map(toInteraction), page);
    });
  }

  claim(now: number, leaseUntil: number): Promise<Interaction | undefined> {
    return this.atomically(() => {
      const row = this.statement(
        `SELECT * FROM interactions WHERE status = 'in_progress' AND background = 1 AND (lease_until IS NULL OR lease_until < ?)
         ORDER BY created_at LIMIT 1`,
      ).get(now) as InteractionRow | undefined;
      if (!row) return undefined;
      this.statement("UPDATE interactions SET lease_until = ? WHERE id = ?").run(leaseUntil, row.id);
      return toInteraction(row);
    });
  }

  renewLease(id: string, leaseUntil: number): Promise<boolean> {
    return this.run(
      () =>
        this.statement("UPDATE interactions SET lease_until = ? WHERE id = ? AND status = 'in_progress'").run(
          leaseUntil,
          id,
        ).changes > 0,
    );
  }

  releaseAll(): Promise<number> {
    return this.run(
      () => this.statement("UPDATE interactions SET lease_until = NULL WHERE lease_until IS NOT NULL").run().changes,
    );
  }
}
