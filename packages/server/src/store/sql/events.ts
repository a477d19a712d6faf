import { payloadJson, type NewEvent, type StoredEvent } from "../../core/events.js";
import { eventId, newEventTag, parseEventId } from "../../core/ids.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import type { EventFilter, EventStore } from "../store.js";
import { num, type Column, type SqlDb } from "./db.js";

export interface EventRow {
  key: number | string;
  tag: string;
  type: string;
  operation: string | null;
  payload: string;
  created_at: number | string;
  legacy_id: string | null;
}

/** An event's public id: its key and tag, or the id it had before keys (migration 0009). */
export const publicEventId = (row: Pick<EventRow, "key" | "tag" | "legacy_id">): string =>
  row.legacy_id ?? eventId(num(row.key), row.tag);

export const toEvent = (row: EventRow, projectId: string): StoredEvent => ({
  id: publicEventId(row),
  projectId,
  type: row.type,
  ...(row.operation !== null ? { operation: row.operation } : {}),
  payload: JSON.parse(row.payload) as StoredEvent["payload"],
  createdAt: num(row.created_at),
});

const COLUMNS: Column[] = [
  { name: "tag", type: "text" },
  { name: "project_key", type: "text", keyOf: "projects" },
  { name: "type", type: "text" },
  { name: "operation", type: "text" },
  { name: "payload", type: "text" },
  { name: "created_at", type: "bigint" },
];

/** The key of a project, by its id. */
export const PROJECT_KEY = "(SELECT key FROM projects WHERE id = :projectId)";

/**
 * The event an id names, in a project: by its key for an id made from one, else by the id it had before keys.
 * Either way one index seek.
 */
export function eventWhere(id: string): { where: string; params: Record<string, unknown> } {
  const parsed = parseEventId(id);
  return parsed !== undefined
    ? { where: "e.key = :eventKey AND e.tag = :tag", params: { eventKey: parsed.key, tag: parsed.tag } }
    : { where: "e.legacy_id = :legacyId", params: { legacyId: id } };
}

export class SqlEvents implements EventStore {
  constructor(private readonly db: SqlDb) {}

  async insert(events: readonly NewEvent[]): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    const tags = events.map(() => newEventTag());
    const rows = events.map((e, i) => [
      tags[i],
      e.projectId,
      e.type,
      e.operation ?? null,
      payloadJson(e.payload),
      e.createdAt,
    ]);
    // Keys are given in the order rows are written, so sorted they line up with the events.
    const written = (await this.db.insertRows("events", COLUMNS, rows, "RETURNING key"))
      .map((r) => num(r.key))
      .sort((a, b) => a - b);
    return events.map((e, i) => ({ ...e, id: eventId(written[i] as number, tags[i] as string) }));
  }

  async get(projectId: string, id: string): Promise<StoredEvent | undefined> {
    const { where, params } = eventWhere(id);
    const row = await this.db.first<EventRow>(
      `SELECT e.* FROM events e WHERE ${where} AND e.project_key = ${PROJECT_KEY}`,
      { ...params, projectId },
    );
    return row && toEvent(row, projectId);
  }

  async list(projectId: string, filter: EventFilter, page: PageRequest): Promise<Page<StoredEvent>> {
    // Only the filters given, so the planner picks the index that serves them (an `x IS NULL OR` test defeats it).
    const where = [
      `e.project_key = ${PROJECT_KEY}`,
      filter.type !== undefined ? "e.type = :type" : "",
      filter.operation !== undefined ? "e.operation = :operation" : "",
    ].filter(Boolean);
    const rows = await this.db.all<EventRow>(
      `SELECT e.* FROM events e WHERE ${where.join(" AND ")} ORDER BY e.key ${filter.newestFirst ? "DESC" : ""} LIMIT :limit OFFSET :offset`,
      { projectId, type: filter.type, operation: filter.operation, limit: page.pageSize + 1, offset: page.offset },
    );
    return toPage(
      rows.map((r) => toEvent(r, projectId)),
      page,
    );
  }
}
