/**
 * The RunPod client: REST v2, the serverless job API and GraphQL, with typed errors and zod
 * schemas. This folder never imports the MCP SDK.
 *
 * @example
 * ```ts
 * import { listGpuTypes, RunpodClient } from "./src/runpod/mod.ts";
 * const client = new RunpodClient({ apiKey: Deno.env.get("RUNPOD_API_KEY") ?? "" });
 * const gpus = await listGpuTypes(client, { include: "AVAILABILITY", product: "POD" });
 * ```
 *
 * @module
 */

export * from "./account.ts";
export * from "./billing.ts";
export * from "./catalog.ts";
export * from "./client.ts";
export * from "./clusters.ts";
export * from "./endpoints.ts";
export * from "./errors.ts";
export * from "./jobs.ts";
export * from "./path.ts";
export * from "./pods.ts";
export * from "./rate_limit.ts";
export * from "./reconcile.ts";
export * from "./stream.ts";
export * from "./schemas.ts";
export * from "./storage.ts";
