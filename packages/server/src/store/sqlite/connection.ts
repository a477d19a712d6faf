import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import { StoreFullError, StoreUnavailableError } from "../errors.js";

type Waiter = { kind: "statement"; run: () => void } | { kind: "transaction"; grant: () => void };

/** Transactions that commit together: the first one's BEGIN, one COMMIT once the event-loop turn has ended. */
interface Group {
  size: number;
  /** The turn it opened in has ended: it commits as soon as no transaction is running in it. */
  due: boolean;
  committed: Promise<void>;
  commit: () => void;
  fail: (err: unknown) => void;
}

/** How long a write waits for another connection's lock before the store answers unavailable (503). */
export const LOCK_WAIT_MS = 5_000;

/** While another connection holds the write lock, BEGIN is tried again after 1, 2, 4, then every 4 ms. */
const MAX_LOCK_POLL_MS = 4;

/** Past this many, a group commits without waiting for the turn to end. */
const MAX_GROUP = 256;

/**
 * The one connection to the database file, shared by every aggregate. better-sqlite3 is synchronous, but a
 * transaction's work is async (services await the store between statements), so while one is open no
 * other statement may run on the connection: it would join that transaction, and roll back with it. The
 * connection is therefore a mutex: statements run at once when it is free (the usual case: no promise,
 * no wait), and wait their turn, in order, while a transaction holds it.
 *
 * Group commit: a COMMIT writes every page the transaction changed to the WAL, the largest cost of a small
 * transaction. Transactions that start in the same turn of the event loop (requests that arrived together)
 * run one after another inside one BEGIN … COMMIT, each in a savepoint of its own so that one failing rolls
 * back alone, and each resolves only once the shared COMMIT is done: nothing is reported done before it is
 * durable, and no statement from outside sees uncommitted work.
 */
export class SqliteConnection {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /** A transaction's work is running (it may be awaiting between statements). */
  private busy = false;
  /** The open transaction, possibly idle between works until it commits. */
  private group: Group | undefined;
  private readonly waiting: Waiter[] = [];

  constructor(
    path: string,
    private readonly lockWaitMs = LOCK_WAIT_MS,
  ) {
    this.db = new Database(path);
  }

  /**
   * From now on, the connection waits for another connection's write lock itself, off the event loop (openGroup),
   * instead of in SQLite's busy handler, which sleeps on the event loop's thread: the checkpoint thread's restart of
   * the WAL (a TRUNCATE then) held it 74 ms on average (bench/wal.mjs), and the server answered nothing meanwhile.
   * Until then (the migrations at open), SQLite waits for it as busy_timeout says.
   */
  waitForLocksOffTheEventLoop(): void {
    this.db.pragma("busy_timeout = 0");
  }

  /** Compiling SQL costs more than running these small statements: compile each text once. */
  statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs a transaction-control statement (BEGIN, COMMIT, a savepoint's), compiled once like any other: `exec`
   * compiled each of them anew, four or more times per transaction.
   */
  private control(sql: string): void {
    this.statement(sql).run();
  }

  /** Runs `work` (synchronous SQL) when no transaction is open. */
  whenFree<T>(work: () => T): Promise<T> {
    if (!this.busy && this.group === undefined) return settle(work);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ kind: "statement", run: () => settle(work).then(resolve, reject) });
    });
  }

  /** Runs `work` in a transaction, committed (possibly with others of the same turn) before this resolves. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.busy) await new Promise<void>((grant) => this.waiting.push({ kind: "transaction", grant }));
    this.busy = true;
    let group: Group;
    try {
      group = this.group ?? (this.begin() ? this.openGroup() : await this.openGroupOnceUnlocked());
    } catch (err) {
      this.busy = false;
      this.release();
      throw err;
    }
    group.size++;
    this.control("SAVEPOINT work");
    let result: T;
    try {
      result = await work();
      this.control("RELEASE work");
    } catch (err) {
      if (this.db.inTransaction) {
        this.control("ROLLBACK TO work");
        this.control("RELEASE work");
      } else if (this.group === group) {
        // SQLite rolled the whole transaction back (SQLITE_FULL does): the group's other works are gone with it.
        this.group = undefined;
        group.fail(storeError(err));
      }
      this.workDone(group);
      this.release();
      throw storeError(err);
    }
    this.workDone(group);
    await group.committed;
    return result;
  }

  close(): void {
    this.db.close();
  }

  /** After BEGIN IMMEDIATE: the group that its transactions share. */
  private openGroup(): Group {
    let commit!: () => void;
    let fail!: (err: unknown) => void;
    const committed = new Promise<void>((resolve, reject) => {
      commit = resolve;
      fail = reject;
    });
    // Its transactions await it; a failed COMMIT must not also surface as an unhandled rejection here.
    committed.catch(() => {});
    const group: Group = { size: 0, due: false, committed, commit, fail };
    this.group = group;
    // By the end of this turn, requests that arrived with this one have started their transactions.
    setImmediate(() => {
      group.due = true;
      if (!this.busy) this.commit(group);
    });
    return group;
  }

  /**
   * BEGIN IMMEDIATE: false if another connection holds the write lock (the checkpoint thread's RESTART, a backup,
   * another process), unless `last`; any other failure, or that one when last, throws.
   */
  private begin(last = false): boolean {
    try {
      this.control("BEGIN IMMEDIATE");
      return true;
    } catch (err) {
      if (!last && (err as { code?: unknown }).code === "SQLITE_BUSY") return false;
      throw storeError(err);
    }
  }

  /**
   * Another connection holds the write lock: BEGIN is tried again with the event loop free in between, for up to
   * lockWaitMs on the clock, then the store is unavailable (503). Meanwhile this transaction holds the connection, so
   * the ones that arrive queue and join its group. On the clock: busy_timeout added up the sleeps SQLite asked for,
   * and signals cut them short (a CPU profiler's, every millisecond: 5 s were over in 64 ms; docs/store.md: group
   * commit).
   */
  private async openGroupOnceUnlocked(): Promise<Group> {
    const deadline = performance.now() + this.lockWaitMs;
    for (let pause = 1; ; pause = Math.min(pause * 2, MAX_LOCK_POLL_MS)) {
      await new Promise((resolve) => setTimeout(resolve, pause));
      if (this.begin(performance.now() >= deadline)) return this.openGroup();
    }
  }

  /** A transaction of the group is done: a waiting one joins the group, or the group commits if it is due. */
  private workDone(group: Group): void {
    this.busy = false;
    const joining = group.size < MAX_GROUP ? this.waiting.findIndex((w) => w.kind === "transaction") : -1;
    if (joining >= 0) {
      const [waiter] = this.waiting.splice(joining, 1);
      this.busy = true;
      (waiter as { grant: () => void }).grant();
      return;
    }
    if (group.due || group.size >= MAX_GROUP) this.commit(group);
  }

  private commit(group: Group): void {
    if (this.group !== group) return;
    this.group = undefined;
    try {
      this.control("COMMIT");
      group.commit();
    } catch (err) {
      try {
        if (this.db.inTransaction) this.control("ROLLBACK");
      } catch {
        // The COMMIT's own error is the one to report; the connection is free either way.
      }
      group.fail(storeError(err));
    }
    this.release();
  }

  /** Hands the connection on: waiting statements run now, in order, until a transaction takes it. */
  private release(): void {
    while (!this.busy && this.group === undefined && this.waiting.length > 0) {
      const next = this.waiting.shift() as Waiter;
      if (next.kind === "statement") {
        next.run();
      } else {
        this.busy = true;
        next.grant();
      }
    }
  }
}

function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(storeError(err));
  }
}

/**
 * SQLite's errors that are no bug: another process held the database's lock past busy_timeout (a long
 * `tidings migrate`, a backup), an I/O error, or a full disk (the write was refused and rolled back).
 */
function storeError(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || err instanceof StoreFullError || err instanceof StoreUnavailableError) return err;
  if (code === "SQLITE_FULL") return new StoreFullError(err);
  return code === "SQLITE_BUSY" || code === "SQLITE_LOCKED" || code.startsWith("SQLITE_IOERR")
    ? new StoreUnavailableError(err)
    : err;
}

/**
 * How an aggregate reaches the connection: outside a transaction it waits for the connection to be free;
 * inside one it is the holder and runs at once.
 */
export interface SqliteRunner {
  readonly connection: SqliteConnection;
  /** True inside a transaction: its work needs no transaction (nor savepoint) of its own. */
  readonly inTransaction: boolean;
  run<T>(work: () => T): Promise<T>;
}

export function freeRunner(connection: SqliteConnection): SqliteRunner {
  return { connection, inTransaction: false, run: (work) => connection.whenFree(work) };
}

export function holderRunner(connection: SqliteConnection): SqliteRunner {
  return { connection, inTransaction: true, run: settle };
}
