import { describe, expect, it } from "vitest";
import { LeasedRunner, type LeasedWork, type Leases } from "../../../src/runtime/leased-runner.js";
import { Signal } from "../../../src/runtime/signal.js";
import { FakeClock } from "../../helpers/fake-clock.js";

interface Item {
  id: string;
}

/** A queue of items whose runs last until the test finishes them (or their signal aborts). */
class ScriptedWork implements Leases<Item>, LeasedWork<Item> {
  readonly queue: Item[];
  readonly running = new Map<string, { finish: () => void; fail: (err: Error) => void; signal: AbortSignal }>();
  readonly renewals: Array<{ id: string; lockedUntil: number }> = [];
  readonly claims: Array<{ now: number; lockedUntil: number }> = [];
  keep = true;
  beforeRound?: () => Promise<void>;
  maxSeen = 0;

  constructor(ids: string[]) {
    this.queue = ids.map((id) => ({ id }));
  }

  async claim(now: number, lockedUntil: number): Promise<Item | undefined> {
    this.claims.push({ now, lockedUntil });
    return this.queue.shift();
  }

  async renew(item: Item, lockedUntil: number): Promise<boolean> {
    this.renewals.push({ id: item.id, lockedUntil });
    return this.keep;
  }

  run(item: Item, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        this.running.delete(item.id);
        resolve();
      };
      this.running.set(item.id, {
        finish: done,
        fail: (err) => {
          this.running.delete(item.id);
          reject(err);
        },
        signal,
      });
      this.maxSeen = Math.max(this.maxSeen, this.running.size);
      signal.addEventListener("abort", done);
    });
  }
}

const OPTIONS = { maxRunning: 2, leaseMs: 60_000, idlePollMs: 5_000 };

describe("LeasedRunner", () => {
  it("runs at most maxRunning at once, and claims the next as soon as one ends", async () => {
    const clock = new FakeClock();
    const work = new ScriptedWork(["a", "b", "c"]);
    const runner = new LeasedRunner({ clock, leases: work, work, options: OPTIONS, onError: () => {} });
    runner.start();
    await clock.settle();
    expect([...work.running.keys()]).toEqual(["a", "b"]);
    expect(work.claims[0]).toEqual({ now: clock.now(), lockedUntil: clock.now() + OPTIONS.leaseMs });

    work.running.get("a")?.finish();
    await clock.settle();
    expect([...work.running.keys()]).toEqual(["b", "c"]);
    expect(work.maxSeen).toBe(2);
    await runner.stop();
  });

  it("renews each lease every third of it while the item runs, and stops renewing once it ends", async () => {
    const clock = new FakeClock();
    const work = new ScriptedWork(["a"]);
    const runner = new LeasedRunner({ clock, leases: work, work, options: OPTIONS, onError: () => {} });
    runner.start();
    await clock.settle();
    const started = clock.now();
    await clock.advance(OPTIONS.leaseMs);
    expect(work.renewals).toEqual(
      [1, 2, 3].map((n) => ({ id: "a", lockedUntil: started + (n * OPTIONS.leaseMs) / 3 + OPTIONS.leaseMs })),
    );

    work.running.get("a")?.finish();
    await clock.settle();
    await clock.advance(OPTIONS.leaseMs);
    expect(work.renewals).toHaveLength(3);
    await runner.stop();
  });

  it("aborts a run when its renewal says it should no longer run here", async () => {
    const clock = new FakeClock();
    const work = new ScriptedWork(["a"]);
    const runner = new LeasedRunner({ clock, leases: work, work, options: OPTIONS, onError: () => {} });
    runner.start();
    await clock.settle();
    const { signal } = work.running.get("a") ?? expect.unreachable();
    work.keep = false;
    await clock.advance(OPTIONS.leaseMs / 3);
    expect(signal.aborted).toBe(true);
    expect(work.running.size).toBe(0);
    await runner.stop();
  });

  it("aborts one run by id, leaving the others", async () => {
    const clock = new FakeClock();
    const work = new ScriptedWork(["a", "b"]);
    const runner = new LeasedRunner({ clock, leases: work, work, options: OPTIONS, onError: () => {} });
    runner.start();
    await clock.settle();
    runner.abort("a");
    await clock.settle();
    expect([...work.running.keys()]).toEqual(["b"]);
    await runner.stop();
  });

  it("reports a run that throws with its id and goes on claiming", async () => {
    const clock = new FakeClock();
    const work = new ScriptedWork(["a", "b", "c"]);
    const errors: Array<{ message: string; id: string | undefined }> = [];
    const runner = new LeasedRunner({
      clock,
      leases: work,
      work,
      options: OPTIONS,
      onError: (err, id) => errors.push({ message: (err as Error).message, id }),
    });
    runner.start();
    await clock.settle();
    work.running.get("a")?.fail(new Error("broke"));
    await clock.settle();
    expect(errors).toEqual([{ message: "broke", id: "a" }]);
    expect([...work.running.keys()]).toEqual(["b", "c"]);
    await runner.stop();
  });

  it("on stop, aborts every run and resolves only once they have all returned; no claim follows", async () => {
    const clock = new FakeClock();
    const work = new ScriptedWork(["a", "b", "c"]);
    const runner = new LeasedRunner({ clock, leases: work, work, options: OPTIONS, onError: () => {} });
    runner.start();
    await clock.settle();
    const signals = [...work.running.values()].map((run) => run.signal);
    const claimsBefore = work.claims.length;
    await runner.stop();
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    expect(work.running.size).toBe(0);
    await clock.advance(OPTIONS.idlePollMs * 2);
    expect(work.claims).toHaveLength(claimsBefore);
    expect(work.queue.map((item) => item.id)).toEqual(["c"]);
  });

  it("polls again after idlePollMs when nothing was ready, running beforeRound first each time", async () => {
    const clock = new FakeClock();
    const work = new ScriptedWork([]);
    let rounds = 0;
    work.beforeRound = async () => {
      rounds++;
    };
    const runner = new LeasedRunner({ clock, leases: work, work, options: OPTIONS, onError: () => {} });
    runner.start();
    await clock.settle();
    expect(rounds).toBe(1);
    work.queue.push({ id: "late" });
    await clock.advance(OPTIONS.idlePollMs);
    expect(rounds).toBe(2);
    expect([...work.running.keys()]).toEqual(["late"]);
    await runner.stop();
  });

  it("listens to its signals from the start: a runnable signal claims at once, an ended one aborts that run", async () => {
    const clock = new FakeClock();
    const work = new ScriptedWork(["a"]);
    const signals = { runnable: new Signal(), ended: new Signal<[id: string]>() };
    const runner = new LeasedRunner({ clock, leases: work, work, options: OPTIONS, signals, onError: () => {} });
    runner.start();
    await clock.settle();
    work.queue.push({ id: "b" });
    // Without the signal, "b" would wait for the next idle poll.
    signals.runnable.ring();
    await clock.settle();
    expect([...work.running.keys()]).toEqual(["a", "b"]);
    const { signal } = work.running.get("a") ?? expect.unreachable();
    signals.ended.ring("a");
    await clock.settle();
    expect(signal.aborted).toBe(true);
    expect([...work.running.keys()]).toEqual(["b"]);
    await runner.stop();
  });
});
