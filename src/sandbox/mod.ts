/**
 * The RunPod simulator: a stateful, in-memory RunPod serving the same HTTP as RunPod (REST v2,
 * the serverless job API and GraphQL), with a manual clock, scripted faults and a request log.
 *
 * @example
 * ```ts
 * import { RunpodSimulator } from "./mod.ts";
 * const sim = new RunpodSimulator();
 * const { url, close } = await sim.listen();
 * const res = await fetch(`${url}/v2/pods`, { headers: { authorization: "Bearer rpa_TEST" } });
 * await res.body?.cancel();
 * await close();
 * ```
 *
 * @module
 */

export {
  type RecordedRequest,
  REST_RESOURCES,
  RunpodSimulator,
  type SimulatorOptions,
} from "./simulator.ts";
export type { Fault, FaultMatch } from "./faults.ts";
export type { ClockOptions } from "./clock.ts";
export type {
  Availability,
  BillingEntry,
  CpuTypeRecord,
  DataCenterRecord,
  EndpointRecord,
  GpuTypeRecord,
  JobRecord,
  JobStatus,
  LogLine,
  NetworkVolumeRecord,
  PodRecord,
  PodStatus,
  RegistryRecord,
  SimulatorState,
  TemplateRecord,
  UserRecord,
  WebhookDelivery,
} from "./state.ts";

import type { RunpodSimulator } from "./simulator.ts";

/** Returns a fetch that routes straight to `sim.handle()` with no socket (same as `sim.fetch`). */
export function createSandboxFetch(sim: RunpodSimulator): typeof fetch {
  return sim.fetch;
}
