import type { StoredEvent } from "../../core/events.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { eventParams, toEvent, type EventRow } from "../rows.js";
import type { EventFilter, EventStore } from "../store.js";
import { ms, type PgExecutor } from "./executor.js";

export class PgEvents implements EventStore {
  constructor(private readonly db: PgExecutor) {}

  /** One statement for any number. */
  async insert(events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map(eventParams);
    await this.db.query(
      `INSERT INTO events (id, project_id, type, operation, payload, created_at)
       SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.project_id),
        rows.map((r) => r.type),
        rows.map((r) => r.operation),
        rows.map((r) => r.payload),
        rows.map((r) => ms(r.created_at)),
      ],
    );
  }

  async get(projectId: string, id: string): Promise<StoredEvent | undefined> {
    const row = await this.db.first<EventRow>("SELECT * FROM events WHERE project_id = $1 AND id = $2", [projectId, id]);
    return row && toEvent(row);
  }

  async list(projectId: string, filter: EventFilter, page: PageRequest): Promise<Page<StoredEvent>> {
    // Only the filters given, so a generic plan still uses the index that serves them.
    const params: unknown[] = [projectId];
    const where = ["project_id = $1"];
    for (const [column, value] of [
      ["type", filter.type],
      ["operation", filter.operation],
    ] as const) {
      if (value === undefined) continue;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
    params.push(page.pageSize + 1, page.offset);
    const rows = await this.db.all<EventRow>(
      `SELECT * FROM events WHERE ${where.join(" AND ")}
       ORDER BY ${filter.newestFirst ? "created_at DESC, id DESC" : "created_at, id"} LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    return toPage(rows.map(toEvent), page);
  }
}
