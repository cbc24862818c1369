/**
 * Pod logs: the latest lines of a pod's container and system log, read from RunPod's SSE log
 * stream within a few seconds, with secrets redacted.
 *
 * @module
 */

import { isResourceId } from "./_id_check.ts";
import { z } from "zod";
import type { RunpodClient } from "../runpod/mod.ts";
import { readPodLogs } from "../runpod/mod.ts";
import { defineTool, READ_ONLY } from "./_define.ts";
import { checkPodId } from "./pods.ts";
import { formatLine, logTail, MAX_LOG_TAIL as MAX_TAIL } from "./_log_tail.ts";
import { untrusted, UNTRUSTED_NOTE } from "./_untrusted.ts";

/** `get_pod_logs`: recent log lines of one pod. */
export const getPodLogsTool = defineTool({
  name: "get_pod_logs",
  title: "Get pod logs",
  description:
    `Latest log lines of a pod, oldest first, secrets redacted: container (workload) or system (pull, start). Call again for newer. ${UNTRUSTED_NOTE}`,
  toolset: "pods",
  annotations: READ_ONLY,
  input: {
    pod_id: z.string().trim().describe("e.g. xedezhzb9la3ye"),
    tail: z.number().int().min(1).max(MAX_TAIL).default(100).describe("Lines, e.g. 200"),
    source: z.enum(["container", "system", "all"]).default("all").describe("e.g. container"),
  },
  output: {
    lines: z.array(z.string()).describe("'<UTC time> [source] text', oldest first"),
    count: z.number(),
    truncated: z.boolean().describe("True when lines were left out or cut to 2000 characters"),
    note: z.string().describe("What was shown and how to get more"),
  },
  async run(args, ctx) {
    checkPodId(args.pod_id, "read logs of pod");
    const source = args.source === "all" ? undefined : args.source;
    const read = await readPodLogs(ctx.runpod, args.pod_id, {
      tail: args.tail,
      ...(source ? { source } : {}),
      signal: ctx.signal,
    });
    const which = source ?? "container or system";
    const { lines, truncated, note, span } = logTail(
      read,
      args.tail,
      `No ${which} log lines yet. A pod that is PROVISIONING or pulling its image has no container output: wait with wait_for_pod, or check its status with get_pod.`,
    );
    const summary = lines.length > 0
      ? `${lines.length} log line(s) of pod ${args.pod_id} ${span}. ${note}\n${
        untrusted(`pod ${args.pod_id} logs`, lines.join("\n"))
      }`
      : `Pod ${args.pod_id}: ${note}`;
    return {
      summary,
      data: { lines, count: lines.length, truncated, note },
      // The summary lists every line and the note; repeating them as JSON would double the text.
      summaryHasData: true,
    };
  },
});

/**
 * The last `n` log lines of a pod, formatted and redacted like `get_pod_logs`, for explaining a
 * failed wait. Never throws: any error (unknown pod, network, cancellation) gives `[]`.
 *
 * @example
 * ```ts
 * const tail = await lastLogLines(runpod, "xedezhzb9la3ye", 20, signal);
 * ```
 */
export async function lastLogLines(
  runpod: RunpodClient,
  podId: string,
  n: number,
  signal?: AbortSignal,
): Promise<string[]> {
  try {
    if (!(n >= 1) || !isResourceId(podId) || signal?.aborted) return [];
    const count = Math.min(MAX_TAIL, Math.floor(n));
    const read = await readPodLogs(runpod, podId, {
      tail: count,
      maxWaitMs: 3_000,
      signal,
    });
    return read.lines.slice(-count).map((entry) => formatLine(entry).text);
  } catch {
    return [];
  }
}
