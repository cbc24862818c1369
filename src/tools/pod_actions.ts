/**
 * Pod lifecycle: start, stop, restart, terminate, and waiting until a pod is ready.
 *
 * @module
 */

import { z } from "zod";
import { type Pod, type PodAction, podAction, RunpodApiError } from "../runpod/mod.ts";
import { defineTool, type FullAnnotations, type ToolContext, ToolInputError } from "./_define.ts";
import { lastLogLines } from "./pod_logs.ts";
import { podRow, podRowShape } from "./pods.ts";

const POD_ID = z.string().trim().regex(/^[A-Za-z0-9_-]+$/, "a pod id has letters, digits, - and _")
  .max(64);

/** What each action does to the bill, told to the model in the result. */
const AFTER: Record<PodAction, string> = {
  start: "Billing resumes at the pod's hourly rate once it runs. Call wait_for_pod next.",
  stop:
    "GPU billing stopped; the container disk is wiped; a pod volume is kept (and billed for storage). start_pod resumes it.",
  restart: "The container restarts in place; billing continues.",
  terminate: "The pod and its pod volume are gone for good; billing stopped.",
};

const PAST: Record<PodAction, string> = {
  start: "Started",
  stop: "Stopped",
  restart: "Restarted",
  terminate: "Terminated",
};

function notAllowed(pod: Pod, action: PodAction): ToolInputError {
  if (pod.locked && action !== "start") {
    return new ToolInputError(
      `Cannot ${action} pod ${pod.id}: it is locked; unlock it with update_pod locked=false first`,
    );
  }
  const allowed = pod.actions.length > 0 ? pod.actions.join(", ") : "none";
  return new ToolInputError(
    `Cannot ${action} pod ${pod.id}: it is ${pod.status}, and RunPod allows only ${allowed} in that state`,
  );
}

async function runAction(podId: string, action: PodAction, ctx: ToolContext) {
  const before = await ctx.runpod.getPod(podId, ctx.signal);
  if (!before.actions.includes(action)) throw notAllowed(before, action);
  let after: Pod | undefined;
  try {
    after = await podAction(ctx.runpod, podId, action, ctx.signal);
  } catch (error) {
    // The state can change between the check and the action; explain a 409 the same way.
    if (error instanceof RunpodApiError && error.status === 409) {
      throw notAllowed(await ctx.runpod.getPod(podId, ctx.signal), action);
    }
    throw error;
  }
  const row = after ? podRow(after) : { ...podRow(before), status: "TERMINATED", cost_per_hour: 0 };
  return {
    summary: `${
      PAST[action]
    } pod ${podId} "${before.name}" (was ${before.status}, now ${row.status}, $${
      row.cost_per_hour.toFixed(2)
    }/h). ${AFTER[action]}`,
    data: { pod: row, previous_status: before.status, note: AFTER[action] },
  };
}

const actionOutput = {
  pod: z.object(podRowShape),
  previous_status: z.string(),
  note: z.string().describe("What the action did to billing and data"),
};

function actionTool(
  action: PodAction,
  title: string,
  description: string,
  annotations: FullAnnotations,
) {
  return defineTool({
    name: `${action}_pod`,
    title,
    description,
    toolset: "pods",
    annotations,
    input: { pod_id: POD_ID.describe("Pod id from list_pods, e.g. xedezhzb9la3ye") },
    output: actionOutput,
    run: (args, ctx) => runAction(args.pod_id, action, ctx),
  });
}

/** `start_pod`. */
export const startPod = actionTool(
  "start",
  "Start a stopped pod",
  "Starts a stopped (EXITED) or failed (ERROR) pod; billing resumes at its hourly rate (USD) once it runs. Tell the user the cost first. The GPU may be taken on the host meanwhile: a capacity error means try later or create a new pod. Then call wait_for_pod.",
  { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
);

/** `stop_pod`. */
export const stopPod = actionTool(
  "stop",
  "Stop a pod",
  "Stops a pod: GPU billing stops, the container disk is wiped, the pod volume (/workspace) is kept and still billed for storage. Use start_pod to resume. To delete everything, use terminate_pod.",
  { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
);

/** `restart_pod`. */
export const restartPod = actionTool(
  "restart",
  "Restart a pod's container",
  "Restarts a RUNNING pod's container in place (same host and GPU); the container disk is wiped, the volume kept; billing continues. Use it when the container hung. Then call wait_for_pod.",
  { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
);

/** `terminate_pod`. */
export const terminatePod = actionTool(
  "terminate",
  "Terminate a pod",
  "Deletes a pod for good with its container disk and pod volume (network volumes survive). Billing stops. This cannot be undone: confirm with the user and make sure results are saved first.",
  { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
);

/** True once the pod is in the state `until` asks for. */
export function podIsReady(pod: Pod, until: "RUNNING" | "PORTS_READY"): boolean {
  if (pod.status !== "RUNNING") return false;
  if (until === "RUNNING") return true;
  return podRow(pod).ports.every((port) => port.address !== null);
}

const FIRST_POLL_MS = 2_000;
const MAX_POLL_MS = 15_000;

/** `wait_for_pod`: polls until the pod is RUNNING (or its ports are up), fails, or time runs out. */
export const waitForPod = defineTool({
  name: "wait_for_pod",
  title: "Wait for a pod to be ready",
  description:
    "Waits until a pod is RUNNING (until=RUNNING) or also has every exposed port reachable (PORTS_READY), polling with backoff and reporting progress. Stops early if the pod fails or stops, with its last log lines as a diagnosis. A timeout is a normal result: call it again to keep waiting.",
  toolset: "pods",
  annotations: {
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  input: {
    pod_id: POD_ID.describe("Pod id, e.g. xedezhzb9la3ye"),
    until: z.enum(["RUNNING", "PORTS_READY"]).default("RUNNING").describe(
      "What to wait for, e.g. RUNNING",
    ),
    timeout_s: z.number().int().min(5).max(900).default(300).describe(
      "Most seconds to wait, up to 900, e.g. 300",
    ),
  },
  output: {
    outcome: z.enum(["ready", "failed", "stopped", "timed_out"]),
    pod: z.object(podRowShape),
    waited_s: z.number(),
    polls: z.number(),
    diagnosis: z.array(z.string()).describe("Last log lines when the pod failed or stopped"),
    next: z.string(),
  },
  async run(args, ctx) {
    const started = ctx.clock.now();
    const deadline = started + args.timeout_s * 1000;
    let interval = FIRST_POLL_MS;
    let polls = 0;
    for (;;) {
      const pod = await ctx.runpod.getPod(args.pod_id, ctx.signal);
      polls++;
      const waited = Math.round((ctx.clock.now() - started) / 1000);
      await ctx.progress(
        waited,
        args.timeout_s,
        `Pod ${pod.id} is ${pod.status} after ${waited} s`,
      );
      const row = podRow(pod);
      const result = (
        outcome: "ready" | "failed" | "stopped" | "timed_out",
        next: string,
        diagnosis: string[] = [],
      ) => ({
        summary: `Pod ${pod.id} ${
          outcome === "ready"
            ? `is ${args.until === "RUNNING" ? "RUNNING" : "RUNNING with ports up"}`
            : `is ${pod.status}`
        } after ${waited} s (${polls} polls). ${next}`,
        data: { outcome, pod: row, waited_s: waited, polls, diagnosis, next },
      });
      if (podIsReady(pod, args.until)) {
        return result(
          "ready",
          row.ssh ? `Connect with: ${row.ssh}` : "Use get_pod for ports and details.",
        );
      }
      if (pod.status === "ERROR") {
        const logs = await lastLogLines(ctx.runpod, pod.id, 20, ctx.signal);
        return result(
          "failed",
          "The pod failed to start: read the diagnosis, fix the image or arguments (update_pod), then start_pod; or terminate_pod to stop paying for its volume.",
          logs,
        );
      }
      if (pod.status === "EXITED" || pod.status === "TERMINATED") {
        const logs = pod.status === "EXITED"
          ? await lastLogLines(ctx.runpod, pod.id, 20, ctx.signal)
          : [];
        return result(
          "stopped",
          pod.status === "EXITED"
            ? "The pod is stopped (its container exited or it was stopped): start_pod to run it again."
            : "The pod was terminated.",
          logs,
        );
      }
      const remaining = deadline - ctx.clock.now();
      if (remaining <= 0) {
        return result(
          "timed_out",
          `Still ${pod.status}. Call wait_for_pod again to keep waiting, or read get_pod_logs with source=system to see what it is doing.`,
        );
      }
      await ctx.clock.sleep(Math.min(interval, remaining), ctx.signal);
      interval = Math.min(Math.round(interval * 1.5), MAX_POLL_MS);
    }
  },
});
