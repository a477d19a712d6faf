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
      [rows.map((r) => r.id), rows.map((r) => r.project_id), rows.map((r) => r.type), rows.map((r) => r.operation), rows.map((r) => r.payload), rows.map((r) => ms(r.created_at))],
    );
  }

  async get(projectId: string, id: string): Promise<StoredEvent | undefined> {
    const row = await this.db.first<EventRow>("SELECT * FROM events WHERE project_id = $1 AND id = $2", [projectId, id]);
    return row && toEvent(row);
  }

  async list(projectId: string, filter: EventFilter, page: PageRequest): Promise<Page<StoredEvent>> {
    const rows = await this.db.all<EventRow>(
      `SELECT * FROM events WHERE project_id = $1 AND ($2::text IS NULL OR type = $2) AND ($3::text IS NULL OR operation = $3)
       ORDER BY ${filter.newestFirst ? "created_at DESC, id DESC" : "created_at, id"} LIMIT $4 OFFSET $5`,
      [projectId, filter.type ?? null, filter.operation ?? null, page.pageSize + 1, page.offset],
    );
    return toPage(rows.map(toEvent), page);
  }
}
