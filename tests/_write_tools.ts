/**
 * One working call of every tool that writes to RunPod: a setup that seeds what the call needs
 * straight on the simulator (as another RunPod client would) and returns the tool's arguments.
 * Tests that must cover every write tool iterate over {@linkcode WRITE_TOOL_CALLS}; a test checks
 * that it lists exactly the registry's write tools.
 *
 * @module
 */

import type { ServerOptions } from "../src/server.ts";
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

/** The H100 SXM, a GPU type RunPod offers for Instant Clusters. */
export const H100 = "NVIDIA H100 80GB HBM3";

/** A two-pod cluster of 8× H100 pods, made straight on the simulator; returns its id. */
export async function seedCluster(h: Harness, name = "cl"): Promise<string> {
  return (await ok(h, "POST", "/v2/clusters", {
    name,
    type: "TRAINING",
    image: IMAGE,
    compute: { gpuTypeId: H100, gpuCountPerPod: 8, podCount: 2 },
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
  create_cluster: () =>
    Promise.resolve({
      name: "c",
      gpu_type: "H100 SXM",
      gpu_count_per_pod: 8,
      pod_count: 2,
      image: IMAGE,
    }),
  update_cluster: async (h) => ({ cluster_id: await seedCluster(h), name: "renamed" }),
  delete_cluster: async (h) => ({ cluster_id: await seedCluster(h) }),
  delete_registry: async (h) => ({
    registry_id: (await ok(h, "POST", "/v2/registries", {
      name: "r",
      username: "u",
      password: "p4ss-w0rd",
    })).id,
  }),
  update_registry: async (h) => ({
    registry_id: (await ok(h, "POST", "/v2/registries", {
      name: "r",
      username: "u",
      password: "p4ss-w0rd",
    })).id,
    username: "u2",
    password: "n3w-p4ss-w0rd",
  }),
  create_ecr_delegation: () => Promise.resolve({ resource: ECR_ARN }),
  revoke_ecr_delegation: async (h) => ({
    delegation_id: (await ok(h, "POST", "/v2/registries/delegations", { resource: ECR_ARN })).id,
  }),
  add_ssh_key: () => Promise.resolve({ ssh_public_key: sshKeyLine(1, "new@laptop") }),
  remove_ssh_key: async (h) => {
    await ok(h, "PUT", "/v2/account/ssh-keys", {
      keys: [sshKeyLine(1, "a@laptop"), sshKeyLine(2, "b@laptop")],
    });
    return { key: "a@laptop" };
  },
  create_secret: () => Promise.resolve({ name: "W_SECRET" }),
  delete_secret: (h) => {
    h.sim.state.secrets.set("clsecretw0000000000000000", {
      id: "clsecretw0000000000000000",
      name: "W_SECRET",
      value: WRITE_TOOL_SECRET,
      description: null,
      createdAt: h.sim.now(),
    });
    return Promise.resolve({ secret_id: "clsecretw0000000000000000" });
  },
};

/** An ECR repository ARN as AWS prints it. */
export const ECR_ARN = "arn:aws:ecr:us-east-2:418399314813:repository/runpod/deployment";

/** The value create_secret's call finds in the (fake) server environment. */
export const WRITE_TOOL_SECRET = "wr1te-t00l-s3cret-v4lue";

/**
 * Server options the calls above need: create_secret reads `RUNPOD_MCP_SECRET_W_SECRET`, which
 * this fake environment holds.
 */
export const WRITE_TOOL_SERVER: Partial<ServerOptions> = {
  secretFromEnv: (name) => name.toUpperCase() === "W_SECRET" ? WRITE_TOOL_SECRET : undefined,
};

/** A well-formed ssh-ed25519 public key line; the same `n` gives the same key. */
export function sshKeyLine(n: number, comment = ""): string {
  const type = new TextEncoder().encode("ssh-ed25519");
  const blob = new Uint8Array(4 + type.length + 4 + 32);
  const view = new DataView(blob.buffer);
  view.setUint32(0, type.length);
  blob.set(type, 4);
  view.setUint32(4 + type.length, 32);
  blob.fill(n & 0xff, 8 + type.length);
  const base64 = btoa(String.fromCharCode(...blob));
  return `ssh-ed25519 ${base64}${comment ? ` ${comment}` : ""}`;
}
