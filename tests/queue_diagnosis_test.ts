import assert from "node:assert/strict";
import type { GpuType } from "../src/runpod/mod.ts";
import {
  diagnoseQueue,
  healthReading,
  needsStock,
  type QueueFacts,
} from "../src/tools/_queue_diagnosis.ts";

const endpoint = (
  min: number,
  max: number,
  extra: Partial<NonNullable<QueueFacts["endpoint"]>> = {},
) => ({
  workers: { min, max },
  gpu: { pools: ["ADA_24"], count: 1 },
  dataCenterIds: [],
  ...extra,
});
const workers = (counts: Partial<Record<string, number>> = {}) => ({
  running: 0,
  idle: 0,
  initializing: 0,
  throttled: 0,
  unhealthy: 0,
  total: 0,
  ...counts,
});
const gpu = (id: string, pool: string, availability: string, dcs: [string, string][] = []) =>
  ({
    id,
    pool,
    availability,
    dataCenters: dcs.map(([dc, level]) => ({ id: dc, availability: level })),
  }) as unknown as GpuType;

Deno.test("diagnoseQueue() says it cannot tell when nothing was read", () => {
  assert.deepEqual(diagnoseQueue({}), [
    "Cannot diagnose the queue: RunPod did not answer the health and endpoint reads.",
  ]);
});

Deno.test("diagnoseQueue() blames workers_max 0 before anything else", () => {
  const notes = diagnoseQueue({ endpoint: endpoint(0, 0), workers: workers() });
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, /^workers_max is 0/);
  assert.equal(needsStock({ endpoint: endpoint(0, 0), workers: workers() }), false);
});

Deno.test("diagnoseQueue() reports no stock in the pools, only in the endpoint's data centers", () => {
  const facts: QueueFacts = {
    endpoint: endpoint(0, 2, { dataCenterIds: ["EU-RO-1"] }),
    workers: workers({ throttled: 1 }),
    gpus: [
      gpu("NVIDIA GeForce RTX 4090", "ADA_24", "HIGH", [["US-KS-2", "HIGH"], ["EU-RO-1", "NONE"]]),
    ],
  };
  assert.equal(needsStock(facts), true);
  assert.deepEqual(diagnoseQueue(facts), [
    "All workers throttled: no serverless GPU stock in pools ADA_24 in data centers EU-RO-1, so no worker can start. Add pools (update_endpoint) or wait for capacity.",
  ]);
  // Stock anywhere when no data center is pinned: the throttling is named instead.
  const anywhere = diagnoseQueue({ ...facts, endpoint: endpoint(0, 2) });
  assert.match(anywhere[0]!, /^1 worker\(s\) throttled, waiting for GPU capacity/);
});

Deno.test("diagnoseQueue() ignores excluded GPU types when judging stock", () => {
  const notes = diagnoseQueue({
    endpoint: endpoint(0, 2, {
      gpu: { pools: ["AMPERE_24"], excludedTypes: ["NVIDIA L4"], count: 1 },
    }),
    workers: workers(),
    gpus: [gpu("NVIDIA L4", "AMPERE_24", "HIGH"), gpu("NVIDIA RTX A5000", "AMPERE_24", "NONE")],
  });
  assert.match(notes[0]!, /^No serverless GPU stock in pools AMPERE_24/);
});

Deno.test("diagnoseQueue() explains a cold start and a missing warm worker", () => {
  const cold = diagnoseQueue({ endpoint: endpoint(0, 2), workers: workers({ initializing: 1 }) });
  assert.match(cold.at(-1)!, /cold start/);
  const none = diagnoseQueue({ endpoint: endpoint(0, 2), workers: workers() });
  assert.match(none.at(-1)!, /^No worker is up yet: with workers_min 0/);
  const warm = diagnoseQueue({ endpoint: endpoint(1, 2), workers: workers({ unhealthy: 1 }) });
  assert.deepEqual(warm, [
    "1 worker(s) unhealthy: they fail RunPod's health checks; check the worker image and its logs.",
  ]);
});

Deno.test("diagnoseQueue() says all workers are busy and reads counts from health without a workers list", () => {
  const busy = diagnoseQueue({ endpoint: endpoint(0, 2), workers: workers({ running: 2 }) });
  assert.match(busy[0]!, /^All 2 allowed worker\(s\) are busy/);
  const fromHealth = diagnoseQueue({
    health: { jobs: { inQueue: 3, inProgress: 0 }, workers: { running: 0, idle: 0 } },
    endpoint: endpoint(0, 2),
  });
  assert.equal(
    fromHealth[0],
    "Queue: 3 waiting, 0 running. Workers: 0 running, 0 idle, 0 initializing, 0 throttled, 0 unhealthy.",
  );
  assert.match(fromHealth[1]!, /^No worker is up yet/);
});

Deno.test("healthReading() reads a backlog with throttled workers and an idle endpoint", () => {
  assert.match(
    healthReading({ inQueue: 2 }, { throttled: 1 }),
    /^2 job\(s\) waiting; 1 worker\(s\) throttled/,
  );
  assert.equal(healthReading({}, { idle: 1 }), "Idle: nothing queued or running; 1 worker(s) up.");
});
