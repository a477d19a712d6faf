import type { StoredEvent } from "../../core/events.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { eventParams, toEvent, type EventRow } from "../rows.js";
import type { EventFilter, EventStore } from "../store.js";
import { SqliteAggregate } from "./aggregate.js";

export class SqliteEvents extends SqliteAggregate implements EventStore {
  insert(events: readonly StoredEvent[]): Promise<void> {
    return this.atomically(() => {
      const insert = this.statement(
        "INSERT INTO events (id, project_id, type, operation, payload, created_at) VALUES (@id, @project_id, @type, @operation, @payload, @created_at)",
      );
      for (const event of events) insert.run(eventParams(event));
    });
  }

  get(projectId: string, id: string): Promise<StoredEvent | undefined> {
    return this.run(() => {
      const row = this.statement("SELECT * FROM events WHERE project_id = ? AND id = ?").get(projectId, id) as EventRow | undefined;
      return row && toEvent(row);
    });
  }

  list(projectId: string, filter: EventFilter, page: PageRequest): Promise<Page<StoredEvent>> {
    return this.run(() => {
      // Only the filters given, so the planner picks the index that serves them (an `x IS NULL OR` test defeats it).
      const where = [
        "project_id = @project_id",
        filter.type !== undefined ? "type = @type" : "",
        filter.operation !== undefined ? "operation = @operation" : "",
      ].filter(Boolean);
      const rows = this.statement(
        `SELECT * FROM events WHERE ${where.join(" AND ")} ORDER BY ${filter.newestFirst ? "created_at DESC, id DESC" : "created_at, id"} LIMIT @limit OFFSET @offset`,
      ).all({
        project_id: projectId,
        ...(filter.type !== undefined ? { type: filter.type } : {}),
        ...(filter.operation !== undefined ? { operation: filter.operation } : {}),
        limit: page.pageSize + 1,
        offset: page.offset,
      }) as EventRow[];
      return toPage(rows.map(toEvent), page);
    });
  }
}
