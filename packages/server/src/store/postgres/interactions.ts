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
import { ms, type PgExecutor } from "./executor.js";

const PLACEHOLDERS = INTERACTION_COLUMNS.split(",")
  .map((_, i) => `$${i + 1}`)
  .join(", ");

export class PgInteractions implements InteractionStore {
  constructor(private readonly db: PgExecutor) {}

  async insert(interaction: Interaction): Promise<void> {
    await this.db.query(
      `INSERT INTO interactions (${INTERACTION_COLUMNS}) VALUES (${PLACEHOLDERS})`,
      interactionValues(interaction, interaction.background),
    );
  }

  async get(projectId: string, id: string): Promise<Interaction | undefined> {
    const row = await this.db.first<InteractionRow>("SELECT * FROM interactions WHERE project_id = $1 AND id = $2", [
      projectId,
      id,
    ]);
    return row && toInteraction(row);
  }

  /** FOR UPDATE: a cancel and the runner's progress serialise here, and the second sees the first's outcome. */
  async getForUpdate(projectId: string, id: string): Promise<Interaction | undefined> {
    const row = await this.db.first<InteractionRow>(
      "SELECT * FROM interactions WHERE project_id = $1 AND id = $2 FOR UPDATE",
      [projectId, id],
    );
    return row && toInteraction(row);
  }

  async update(interaction: Interaction): Promise<void> {
    await this.db.query(
      `UPDATE interactions SET status = $1, steps = $2, usage = $3, error = $4, updated_at = $5, ended_at = $6, resumed_by = $7,
       lease_until = CASE WHEN $1 = 'in_progress' THEN lease_until END WHERE id = $8`,
      interactionUpdateValues(interaction),
    );
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    return (await this.db.count("DELETE FROM interactions WHERE project_id = $1 AND id = $2", [projectId, id])) > 0;
  }

  async list(projectId: string, page: PageRequest): Promise<Page<Interaction>> {
    const rows = await this.db.all<InteractionRow>(
      "SELECT * FROM interactions WHERE project_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
      [projectId, page.pageSize + 1, page.offset],
    );
    return toPage(rows.map(toInteraction), page);
  }

  async claim(now: number, leaseUntil: number): Promise<Interaction | undefined> {
    const row = await this.db.first<InteractionRow>(
      `UPDATE interactions SET lease_until = $2
       WHERE id = (SELECT id FROM interactions WHERE status = 'in_progress' AND background AND (lease_until IS NULL OR lease_until < $1)
                   ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [ms(now), ms(leaseUntil)],
    );
    return row && toInteraction(row);
  }

  async renewLease(id: string, leaseUntil: number): Promise<boolean> {
    return (
      (await this.db.count("UPDATE interactions SET lease_until = $2 WHERE id = $1 AND status = 'in_progress'", [
        id,
        ms(leaseUntil),
      ])) > 0
    );
  }

  releaseAll(): Promise<number> {
    return this.db.count("UPDATE interactions SET lease_until = NULL WHERE lease_until IS NOT NULL");
  }
}
