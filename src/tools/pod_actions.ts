/**
 * Pod lifecycle: start, stop, restart, terminate, and waiting until a pod is ready.
 *
 * @module
 */

import { z } from "zod";
import { getPod, type Pod, type PodAction, podAction, RunpodApiError } from "../runpod/mod.ts";
import { defineTool, type FullAnnotations, type ToolContext, ToolInputError } from "./_define.ts";
import { poll } from "./_poll.ts";
import { lastLogLines } from "./pod_logs.ts";
import { untrusted, UNTRUSTED_NOTE } from "./_untrusted.ts";
import { onCapacityError, startCapacityRequest } from "./_capacity.ts";
import { checkPodId, podPorts, sshCommand } from "./pods.ts";

// Its characters are checked by checkPodId, which names list_pods.
const POD_ID = z.string().trim();

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
  checkPodId(podId, `${action} pod`);
  const before = await getPod(ctx.runpod, podId, ctx.signal);
  if (!before.actions.includes(action)) throw notAllowed(before, action);
  let after: Pod | undefined;
  try {
    after = await podAction(ctx.runpod, podId, action, ctx.signal);
  } catch (error) {
    // The state can change between the check and the action; explain a 409 the same way.
    if (error instanceof RunpodApiError && error.status === 409) {
      throw notAllowed(await getPod(ctx.runpod, podId, ctx.signal), action);
    }
    if (action === "start") await onCapacityError(ctx, startCapacityRequest(before))(error);
    throw error;
  }
  const now = after ?? { ...before, status: "TERMINATED", cost: 0 };
  return {
    summary: `${
      PAST[action]
    } pod ${podId} "${before.name}" (was ${before.status}, now ${now.status}, $${
      now.cost.toFixed(2)
    }/h). ${AFTER[action]}`,
    data: {
      pod_id: podId,
      name: before.name,
      status: now.status,
      cost_per_hour: now.cost,
    },
    // The summary states every field, and what the action did to billing and data.
    summaryHasData: true,
  };
}

const actionOutput = {
  pod_id: z.string(),
  name: z.string(),
  status: z.string(),
  cost_per_hour: z.number().describe("USD/hour now"),
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
    input: { pod_id: POD_ID.describe("e.g. xedezhzb9la3ye") },
    output: actionOutput,
    run: (args, ctx) => runAction(args.pod_id, action, ctx),
  });
}

/** `start_pod`. */
export const startPodTool = actionTool(
  "start",
  "Start pod",
  "Starts an EXITED or ERROR pod; billing (USD/hour) resumes: tell the user first. On a capacity error, retry later. Next: wait_for_pod.",
  { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
);

/** `stop_pod`. */
export const stopPodTool = actionTool(
  "stop",
  "Stop pod",
  "Stops a pod: GPU billing stops, the container disk is wiped, the pod volume is kept (storage still billed). Resume: start_pod.",
  { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
);

/** `restart_pod`. */
export const restartPodTool = actionTool(
  "restart",
  "Restart pod",
  "Restarts a RUNNING pod's container, e.g. when hung: wipes the container disk, keeps the volume; billing continues. Next: wait_for_pod.",
  { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
);

/** `terminate_pod`. */
export const terminatePodTool = actionTool(
  "terminate",
  "Terminate pod",
  "Deletes a pod for good, with its container disk and pod volume (network volumes stay); billing stops. Cannot be undone: confirm with the user.",
  { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
);

/** True once the pod is in the state `until` asks for. */
export function podIsReady(pod: Pod, until: "RUNNING" | "PORTS_READY"): boolean {
  if (pod.status !== "RUNNING") return false;
  if (until === "RUNNING") return true;
  return Object.values(podPorts(pod)).every((address) => address !== null);
}

const FIRST_POLL_MS = 2_000;
const MAX_POLL_MS = 15_000;
/** Statuses that end a wait without the pod becoming ready. */
const ENDED = new Set(["ERROR", "EXITED", "TERMINATED"]);

type WaitOutcome = "ready" | "failed" | "stopped" | "timed_out";

/** `wait_for_pod`: polls until the pod is RUNNING (or its ports are up), fails, or time runs out. */
export const waitForPodTool = defineTool({
  name: "wait_for_pod",
  title: "Wait for pod",
  description:
    `Waits until a pod is RUNNING or, with PORTS_READY, its ports are up; on failure shows its last log lines. On timeout, call again. ${UNTRUSTED_NOTE}`,
  toolset: "pods",
  annotations: {
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  input: {
    pod_id: POD_ID.describe("e.g. xedezhzb9la3ye"),
    until: z.enum(["RUNNING", "PORTS_READY"]).default("RUNNING").describe("e.g. PORTS_READY"),
    timeout_s: z.number().int().min(5).max(900).default(300).describe("Seconds, e.g. 300"),
  },
  output: {
    outcome: z.enum(["ready", "failed", "stopped", "timed_out"]),
    status: z.string(),
    ports: z.record(z.string(), z.string().nullable()).describe("port → URL or ip:port"),
    ssh: z.string().nullable(),
    waited_s: z.number(),
    diagnosis: z.array(z.string()).describe("Last log lines when the pod failed or stopped"),
    next: z.string(),
  },
  async run(args, ctx) {
    checkPodId(args.pod_id, "wait for pod");
    const started = ctx.clock.now();
    const { value: pod, polls, waitedS: waited } = await poll(ctx, {
      started,
      deadline: started + args.timeout_s * 1000,
      firstMs: FIRST_POLL_MS,
      maxMs: MAX_POLL_MS,
      read: () => getPod(ctx.runpod, args.pod_id, ctx.signal),
      isDone: (p) => podIsReady(p, args.until) || ENDED.has(p.status),
      totalS: args.timeout_s,
      progress: (p, waitedS) => `Pod ${p.id} is ${p.status} after ${waitedS} s`,
    });
    const row = {
      status: pod.status,
      ports: podPorts(pod),
      ssh: sshCommand(pod),
    };
    const result = (outcome: WaitOutcome, next: string, diagnosis: string[] = []) => {
      const head = `Pod ${pod.id} ${
        outcome === "ready"
          ? `is ${args.until === "RUNNING" ? "RUNNING" : "RUNNING with ports up"}`
          : `is ${pod.status}`
      } after ${waited} s (${polls} polls). ${next}`;
      const rest = { outcome, ...row, waited_s: waited, next };
      // Log lines reach the text only inside the untrusted fence, never as raw JSON.
      const logs = diagnosis.length > 0
        ? `\n\n${JSON.stringify(rest)}\n\nLast ${diagnosis.length} log line(s):\n${
          untrusted(`pod ${pod.id} logs`, diagnosis.join("\n"))
        }`
        : "";
      return {
        summary: `${head}${logs}`,
        data: { outcome, ...row, waited_s: waited, diagnosis, next },
        summaryHasData: diagnosis.length > 0,
      };
    };
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
    return result(
      "timed_out",
      `Still ${pod.status}. Call wait_for_pod again to keep waiting, or read get_pod_logs with source=system to see what it is doing.`,
    );
  },
});
