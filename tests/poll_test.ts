import assert from "node:assert/strict";
import type { Clock } from "../src/tools/_define.ts";
import { poll } from "../src/tools/_poll.ts";

function fakeClock() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => now,
    sleep: (ms, signal) => {
      if (signal.aborted) return Promise.reject(signal.reason);
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
  return { clock, sleeps };
}

function ctxOf(clock: Clock, signal = new AbortController().signal) {
  const progress: string[] = [];
  return {
    ctx: {
      clock,
      signal,
      progress: (_p: number, _t?: number, message?: string) => {
        progress.push(message ?? "");
        return Promise.resolve();
      },
    },
    progress,
  };
}

Deno.test("poll() backs off 1.5× up to the maximum and stops when done", async () => {
  const { clock, sleeps } = fakeClock();
  const { ctx, progress } = ctxOf(clock);
  let reads = 0;
  const started = clock.now();
  const result = await poll(ctx, {
    started,
    deadline: started + 600_000,
    firstMs: 1_000,
    maxMs: 3_000,
    read: () => Promise.resolve(++reads),
    isDone: (n) => n === 5,
    progress: (n, waited) => `read ${n} after ${waited} s`,
  });
  assert.deepEqual(sleeps, [1_000, 1_500, 2_250, 3_000]);
  assert.deepEqual(result, { value: 5, polls: 5, waitedS: 8, timedOut: false });
  assert.deepEqual(progress.at(-1), "read 5 after 8 s");
});

Deno.test("poll() stops at the deadline, never sleeping past it", async () => {
  const { clock, sleeps } = fakeClock();
  const { ctx } = ctxOf(clock);
  const started = clock.now();
  const result = await poll(ctx, {
    started,
    deadline: started + 2_000,
    firstMs: 1_500,
    maxMs: 10_000,
    read: () => Promise.resolve("IN_QUEUE"),
    isDone: () => false,
  });
  assert.deepEqual(sleeps, [1_500, 500]);
  assert.equal(result.timedOut, true);
  assert.equal(result.polls, 3);
});

Deno.test("poll() checks an initial value without reading or reporting progress", async () => {
  const { clock } = fakeClock();
  const { ctx, progress } = ctxOf(clock);
  const result = await poll(ctx, {
    started: clock.now(),
    deadline: clock.now() + 10_000,
    firstMs: 1_000,
    maxMs: 1_000,
    initial: "COMPLETED",
    read: () => Promise.reject(new Error("must not read")),
    isDone: (s) => s === "COMPLETED",
    progress: () => "never",
  });
  assert.deepEqual(result, { value: "COMPLETED", polls: 0, waitedS: 0, timedOut: false });
  assert.deepEqual(progress, []);
});

Deno.test("poll() reads again at once when pace says so and resets the interval", async () => {
  const { clock, sleeps } = fakeClock();
  const { ctx } = ctxOf(clock);
  const paces = ["backoff", "backoff", "reset", "now", "backoff"] as const;
  let i = 0;
  await poll(ctx, {
    started: clock.now(),
    deadline: clock.now() + 60_000,
    firstMs: 1_000,
    maxMs: 5_000,
    read: () => Promise.resolve(i++),
    isDone: (n) => n === paces.length,
    pace: (n) => paces[n]!,
  });
  assert.deepEqual(sleeps, [1_000, 1_500, 1_000]);
});

Deno.test("poll() stops with the signal's reason once the call is cancelled", async () => {
  const { clock } = fakeClock();
  const controller = new AbortController();
  const { ctx } = ctxOf(clock, controller.signal);
  let reads = 0;
  await assert.rejects(
    poll(ctx, {
      started: clock.now(),
      deadline: clock.now() + 60_000,
      firstMs: 1_000,
      maxMs: 1_000,
      read: () => {
        if (++reads === 2) controller.abort(new Error("cancelled by the client"));
        return Promise.resolve(reads);
      },
      isDone: () => false,
    }),
    /cancelled by the client/,
  );
  assert.equal(reads, 2);
});
