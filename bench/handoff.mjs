// What moving a stage to a worker thread would cost in hand-offs (issue 16 item 8): the main thread posts
// deliveries to a worker in batches over a MessagePort and the worker answers each batch with its outcomes, the
// round trip a sender (or a store writer) in a worker would make per batch. Nothing is sent or written: this is
// the hand-off alone, as process CPU per event (both threads) and round trips per second.
//   node bench/handoff.mjs            (BENCH_HANDOFF_EVENTS=100000 by default; ~10 s)
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { intEnv } from "./lib.mjs";

/** A delivery as the engine holds one: ids, the target, the signed body (a bench event is ~400 bytes). */
const delivery = (i) => ({
  id: `dlv_${i}`,
  eventId: `evt_${String(i).padStart(26, "0")}`,
  webhookId: "wh_01jexample00000000000000",
  uri: "http://127.0.0.1:37485/hook",
  attemptCount: 0,
  body: JSON.stringify({
    type: "bench.succeeded",
    version: "v1",
    timestamp: new Date(1_765_000_000_000 + i).toISOString(),
    data: { id: `operations/op_${i}`, name: `operations/op_${i}`, state: "SUCCEEDED", output_file_uri: "files/x" },
  }),
});

if (!isMainThread) {
  // The worker's side: an outcome per delivery, as an engine's attempt produces one.
  parentPort.on("message", ({ seq, batch, asText }) => {
    const items = asText ? JSON.parse(batch) : batch;
    const outcomes = items.map((d) => ({ id: d.id, statusCode: 200, latencyMs: 1.5 }));
    parentPort.postMessage({ seq, outcomes: asText ? JSON.stringify(outcomes) : outcomes });
  });
} else {
  const EVENTS = Math.round(intEnv("BENCH_HANDOFF_EVENTS", 100_000));
  const worker = new Worker(new URL(import.meta.url));
  const pending = new Map();
  worker.on("message", ({ seq, outcomes }) => {
    pending.get(seq)(outcomes);
    pending.delete(seq);
  });
  let seq = 0;
  const roundTrip = (batch, asText) =>
    new Promise((resolve) => {
      pending.set(++seq, resolve);
      worker.postMessage({ seq, batch: asText ? JSON.stringify(batch) : batch, asText });
    });

  /** EVENTS deliveries in batches of `size`, `inFlight` batches at a time; CPU of the whole process per event. */
  async function measure(size, inFlight, asText) {
    const batches = Math.ceil(EVENTS / size);
    const all = Array.from({ length: batches }, (_, b) =>
      Array.from({ length: size }, (_, i) => delivery(b * size + i)),
    );
    const cpu = process.cpuUsage();
    const start = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < batches) {
        const outcomes = await roundTrip(all[next++], asText);
        if (asText) JSON.parse(outcomes);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
    const wallMs = performance.now() - start;
    const used = process.cpuUsage(cpu);
    return {
      cpuUsPerEvent: (used.user + used.system) / (batches * size),
      roundTripsPerSecond: batches / (wallMs / 1000),
    };
  }

  /**
   * One delivery per round trip with a pause between them, so that each message finds the other thread asleep (as
   * the server's do between its turns): the process's CPU per round trip beyond the same pauses without one.
   */
  async function measureAsleep(rounds) {
    const pauses = async (post) => {
      const cpu = process.cpuUsage();
      for (let i = 0; i < rounds; i++) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        if (post) await roundTrip([delivery(i)], false);
      }
      const used = process.cpuUsage(cpu);
      return used.user + used.system;
    };
    const idle = await pauses(false);
    return (await pauses(true)) - idle;
  }

  console.log(`hand-off of ${EVENTS} deliveries to a worker thread and their outcomes back (MessagePort)`);
  console.log("  batch  in flight  encoding          CPU µs/event  round trips/s");
  for (const asText of [false, true]) await measure(64, 4, asText); // warm-up
  for (const [size, inFlight] of [
    [1, 16],
    [16, 4],
    [64, 4],
    [256, 2],
  ]) {
    for (const asText of [false, true]) {
      const r = await measure(size, inFlight, asText);
      console.log(
        `  ${String(size).padStart(5)}  ${String(inFlight).padStart(9)}  ${(asText ? "one JSON string" : "structured clone").padEnd(16)}  ${r.cpuUsPerEvent.toFixed(1).padStart(12)}  ${Math.round(r.roundTripsPerSecond).toLocaleString("en").padStart(13)}`,
      );
    }
  }
  const ROUNDS = 500;
  await measureAsleep(50); // warm-up
  const asleep = await measureAsleep(ROUNDS);
  console.log(
    `  one delivery to a sleeping thread and back, every 2 ms: ${(asleep / ROUNDS).toFixed(1)} µs of CPU per round trip (both threads)`,
  );
  await worker.terminate();
}
