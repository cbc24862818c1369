/**
 * Pod logs: the latest lines of a pod's container and system log, read from RunPod's SSE log
 * stream within a few seconds, with secrets redacted.
 *
 * @module
 */

import { z } from "zod";
import { redactSecrets } from "../log.ts";
import type { RunpodClient } from "../runpod/mod.ts";
import { type LogLine, readPodLogs } from "../runpod/mod.ts";
import { defineTool, READ_ONLY, ToolInputError } from "./_define.ts";

/** Longest line shown; longer ones (progress bars, JSON dumps) are cut. */
const MAX_LINE_CHARS = 2000;
const MAX_TAIL = 1000;
const POD_ID = /^[A-Za-z0-9_-]+$/;

/** `2026-11-24T12:00:00.123456789Z` → `2026-11-24T12:00:00.123Z`; anything else unchanged. */
function shortTs(ts: string): string {
  return ts.replace(/^(.+T\d\d:\d\d:\d\d)(\.\d{1,3})?\d*(Z|[+-]\d\d:\d\d)$/, "$1$2$3");
}

/** One line as the model sees it: `<ts> [source] text`, redacted and length-capped. */
function formatLine(entry: LogLine): { text: string; cut: boolean } {
  let line = redactSecrets(entry.line);
  const cut = line.length > MAX_LINE_CHARS;
  if (cut) line = `${line.slice(0, MAX_LINE_CHARS)}… [line cut]`;
  const ts = entry.ts === "" ? "" : `${shortTs(entry.ts)} `;
  return { text: `${ts}[${entry.source}] ${line}`, cut };
}

/** `get_pod_logs`: recent log lines of one pod. */
export const getPodLogs = defineTool({
  name: "get_pod_logs",
  title: "Get pod logs",
  description:
    "Shows a pod's latest log lines, oldest first, as '<UTC time> [container|system] text', with secrets redacted. container = the workload's stdout/stderr; system = RunPod events (image pull, start, stop). Use it to see why a pod is stuck in STARTING, exited or errored, or what it printed. Returns within about 5 s; call again for newer lines. A pod still PROVISIONING has no container logs yet: wait with wait_for_pod or check get_pod.",
  toolset: "pods",
  annotations: READ_ONLY,
  input: {
    pod_id: z.string().trim().min(1).max(64).describe("Pod id from list_pods, e.g. xedezhzb9la3ye"),
    tail: z.number().int().min(1).max(MAX_TAIL).default(100).describe(
      "How many of the latest lines to return, 1-1000, e.g. 200",
    ),
    source: z.enum(["container", "system", "all"]).default("all").describe(
      "Which log: container (the workload), system (RunPod events) or all, e.g. container",
    ),
  },
  output: {
    pod_id: z.string(),
    lines: z.array(z.string()).describe("'<UTC time> [source] text', oldest first"),
    count: z.number(),
    truncated: z.boolean().describe("True when lines were left out or cut to 2000 characters"),
    note: z.string().describe("What was shown and how to get more"),
  },
  async run(args, ctx) {
    if (!POD_ID.test(args.pod_id)) {
      throw new ToolInputError(
        `Cannot read logs of pod "${
          args.pod_id.slice(0, 64)
        }": a pod id has only letters, digits, - and _ (see list_pods)`,
      );
    }
    const source = args.source === "all" ? undefined : args.source;
    const read = await readPodLogs(ctx.runpod, args.pod_id, {
      tail: args.tail,
      ...(source ? { source } : {}),
      signal: ctx.signal,
    });
    // Lines that arrived live while reading can push the count past `tail`.
    const kept = read.lines.slice(-args.tail);
    const formatted = kept.map(formatLine);
    const lines = formatted.map((f) => f.text);
    const dropped = read.lines.length - kept.length;
    const truncated = read.truncated || dropped > 0 || formatted.some((f) => f.cut);
    const which = source ?? "container or system";
    let note: string;
    if (lines.length === 0) {
      note =
        `No ${which} log lines yet. A pod that is PROVISIONING or pulling its image has no container output: wait with wait_for_pod, or check its status with get_pod.`;
    } else if (read.stoppedBy === "broken") {
      note =
        `The connection to RunPod dropped mid-read, so later lines may be missing: call again.`;
    } else if (read.truncated) {
      note =
        `The read stopped at its size cap, so later lines may be missing: lower tail or pick one source.`;
    } else if (lines.length >= args.tail) {
      note = `Only the last ${args.tail} lines are shown; raise tail (max ${MAX_TAIL}) for more.`;
    } else {
      note = `All ${lines.length} recent lines RunPod sent.`;
    }
    const first = kept[0];
    const last = kept[kept.length - 1];
    const summary = first && last
      ? `${lines.length} log line(s) of pod ${args.pod_id} from ${shortTs(first.ts)} to ${
        shortTs(last.ts)
      }. ${note}\n${lines.join("\n")}`
      : `Pod ${args.pod_id}: ${note}`;
    return {
      summary,
      data: { pod_id: args.pod_id, lines, count: lines.length, truncated, note },
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
    if (!(n >= 1) || !POD_ID.test(podId) || signal?.aborted) return [];
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
