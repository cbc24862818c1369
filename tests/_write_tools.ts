/**
 * One working call of every tool that writes to RunPod: a setup that seeds what the call needs
 * straight on the simulator (as another RunPod client would) and returns the tool's arguments.
 * Tests that must cover every write tool iterate over {@linkcode WRITE_TOOL_CALLS}; a test checks
 * that it lists exactly the registry's write tools.
 *
 * @module
 */

import { type Harness, seedPod, simRequest } from "./_harness.ts";

export const IMAGE = "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04";
export const RTX4090 = "NVIDIA GeForce RTX 4090";

/** Prepares the simulator for one call and returns the call's arguments. */
export type WriteToolSetup = (h: Harness) => Promise<Record<string, unknown>>;

async function ok(h: Harness, method: string, path: string, body?: unknown) {
  const { status, json } = await simRequest(h, method, path, body);
  if (status >= 300) throw new Error(`Cannot set up: ${method} ${path}: ${status}`);
  return json;
}

async function runningPod(h: Harness): Promise<string> {
  const pod = await seedPod(h, { name: "p", image: IMAGE, gpu: { id: RTX4090, count: 1 } });
  h.sim.advance(10 * 60_000);
  return pod.id;
}

async function stoppedPod(h: Harness): Promise<string> {
  const id = await runningPod(h);
  await ok(h, "POST", `/v2/pods/${id}/action`, { action: "stop" });
  return id;
}

/** A create-endpoint body with one always-on worker on the RTX 4090 pool (billing tests). */
export const ALWAYS_ON_ENDPOINT = {
  name: "always-on",
  type: "QUEUE",
  image: IMAGE,
  gpu: { pools: ["ADA_24"] },
  workers: { min: 1, max: 3 },
  scaling: { type: "QUEUE_DELAY", queueDelay: 4 },
};

/** An endpoint on the RTX 4090 pool with no always-on worker. */
export async function seedEndpoint(h: Harness): Promise<string> {
  const ep = await ok(h, "POST", "/v2/serverless", {
    name: "ep",
    type: "QUEUE",
    image: IMAGE,
    gpu: { pools: ["ADA_24"], count: 1 },
    workers: { min: 0, max: 2 },
    scaling: { type: "QUEUE_DELAY", queueDelay: 4 },
    timeout: 600_000,
  });
  return ep.id;
}

async function queuedJob(h: Harness, input: unknown): Promise<{ ep: string; job: string }> {
  const ep = await seedEndpoint(h);
  const job = await ok(h, "POST", `/v2/${ep}/run`, { input });
  return { ep, job: job.id };
}

async function seedVolume(h: Harness): Promise<string> {
  return (await ok(h, "POST", "/v2/network-volumes", {
    name: "vol",
    size: 20,
    dataCenter: "US-KS-2",
  })).id;
}

/** Every write tool with a setup for one call that succeeds against the simulator. */
export const WRITE_TOOL_CALLS: Readonly<Record<string, WriteToolSetup>> = {
  create_pod: () => Promise.resolve({ name: "w", image: IMAGE, gpu_type: "RTX 4090" }),
  update_pod: async (h) => ({ pod_id: await runningPod(h), name: "renamed" }),
  start_pod: async (h) => ({ pod_id: await stoppedPod(h) }),
  stop_pod: async (h) => ({ pod_id: await runningPod(h) }),
  restart_pod: async (h) => ({ pod_id: await runningPod(h) }),
  terminate_pod: async (h) => ({ pod_id: await runningPod(h) }),
  create_endpoint: () =>
    Promise.resolve({ name: "ep", image: IMAGE, gpu_types: ["RTX 4090"], workers_min: 1 }),
  update_endpoint: async (h) => ({ endpoint_id: await seedEndpoint(h), workers_max: 3 }),
  delete_endpoint: async (h) => ({ endpoint_id: await seedEndpoint(h) }),
  run_job: async (h) => ({ endpoint_id: await seedEndpoint(h), input: { prompt: "hi" } }),
  run_job_sync: async (h) => ({ endpoint_id: await seedEndpoint(h), input: { prompt: "hi" } }),
  cancel_job: async (h) => {
    const { ep, job } = await queuedJob(h, { prompt: "hi", duration_ms: 60_000 });
    return { endpoint_id: ep, job_id: job };
  },
  retry_job: async (h) => {
    const { ep, job } = await queuedJob(h, { fail: "boom" });
    h.sim.advance(10_000);
    return { endpoint_id: ep, job_id: job };
  },
  purge_queue: async (h) => ({ endpoint_id: await seedEndpoint(h) }),
  create_template: () => Promise.resolve({ name: "t", image: IMAGE }),
  update_template: async (h) => ({
    template_id: (await ok(h, "POST", "/v2/templates", { name: "t", image: IMAGE })).id,
    name: "renamed",
  }),
  delete_template: async (h) => ({
    template_id: (await ok(h, "POST", "/v2/templates", { name: "t", image: IMAGE })).id,
  }),
  create_network_volume: () =>
    Promise.resolve({ name: "vol", size_gb: 20, data_center_id: "US-KS-2" }),
  update_network_volume: async (h) => ({ volume_id: await seedVolume(h), size_gb: 80 }),
  delete_network_volume: async (h) => ({ volume_id: await seedVolume(h) }),
  create_registry: () => Promise.resolve({ name: "r", username: "u", password: "p4ss-w0rd" }),
  delete_registry: async (h) => ({
    registry_id: (await ok(h, "POST", "/v2/registries", {
      name: "r",
      username: "u",
      password: "p4ss-w0rd",
    })).id,
  }),
};
