/**
 * Bounded reads of RunPod's log streams (server-sent events on REST v2): pod logs and serverless
 * worker logs, one reader for both.
 *
 * RunPod keeps a log stream open without sending anything while the pod or worker is silent, so a read
 * never waits for the end: it stops once no event came for `idleMs`, after `maxWaitMs` in all, or
 * after `maxBytes`, and always cancels the body so the connection closes.
 *
 * @module
 */

import { createParser } from "eventsource-parser";
import { z } from "zod";
import type { RunpodClient } from "./client.ts";
import { RunpodConnectionError } from "./errors.ts";
import { pathSegment } from "./path.ts";

/** One log line as RunPod sends it in a `data:` frame. */
export interface LogLine {
  /** RFC 3339 timestamp with nanoseconds, e.g. `2026-11-24T12:00:00.123000000Z`. */
  ts: string;
  /** `container` (the workload's stdout/stderr) or `system` (RunPod's own events). */
  source: string;
  /** The text, without a trailing newline. */
  line: string;
}

/**
 * Why a bounded read stopped: quiet for `idleMs`, `maxWaitMs` passed, `maxBytes` read, RunPod
 * closed the stream, or the connection broke after some lines had arrived.
 */
export type LogReadStop = "idle" | "max-wait" | "max-bytes" | "end" | "broken";

/** What a bounded read returned. */
export interface LogRead {
  /** Lines in the order RunPod sent them. */
  lines: LogLine[];
  /** True when the byte cap or a broken connection cut the read short. */
  truncated: boolean;
  stoppedBy: LogReadStop;
}

/** Options for {@linkcode readPodLogs} and {@linkcode readWorkerLogs}. */
export interface ReadPodLogsOptions {
  /** Lines of history to replay, 0–5000 (RunPod's default 100; 0 means live only). */
  tail?: number;
  /** Only one source; omit for both. */
  source?: "container" | "system";
  /** Stop once no event arrived for this long, ms (counted from the open, then each event). */
  idleMs?: number;
  /** Stop after this long in total, ms, however busy the stream is. */
  maxWaitMs?: number;
  /** Stop after this many bytes of the stream. */
  maxBytes?: number;
  /** The caller's signal; aborting it rejects with its reason and closes the stream. */
  signal?: AbortSignal;
}

/** Default quiet time that ends a read, ms. */
export const DEFAULT_LOG_IDLE_MS = 400;
/** Default cap on a read's total time, ms. */
export const DEFAULT_LOG_MAX_WAIT_MS = 5_000;
/** Default cap on a read's size, bytes (1 MiB). */
export const DEFAULT_LOG_MAX_BYTES = 1024 * 1024;

const FrameSchema = z.object({
  source: z.string(),
  line: z.string(),
  ts: z.string().optional(),
});

/**
 * Reads a pod's recent log lines (`GET /v2/pods/{id}/logs`) within a bounded time and size.
 *
 * @example
 * ```ts
 * const read = await readPodLogs(client, "xedezhzb9la3ye", { tail: 50, source: "container" });
 * for (const l of read.lines) console.error(l.ts, l.source, l.line);
 * ```
 *
 * @throws {RunpodApiError} RunPod refused (e.g. 404 for an unknown pod).
 * @throws {RunpodConnectionError} RunPod could not be reached, or the stream broke before its
 * first byte twice in a row.
 */
export async function readPodLogs(
  client: RunpodClient,
  podId: string,
  options: ReadPodLogsOptions = {},
): Promise<LogRead> {
  return await readLogStream(client, `/v2/pods/${pathSegment(podId, "pod id")}/logs`, options);
}

/**
 * Reads a serverless worker's recent log lines
 * (`GET /v2/serverless/{id}/workers/{workerId}/logs`), bounded exactly like
 * {@linkcode readPodLogs}.
 *
 * @example
 * ```ts
 * const read = await readWorkerLogs(client, "7yl8ixqrjcbrq2", "7yl8ixqrjcw000", { tail: 50 });
 * ```
 *
 * @throws {RunpodApiError} RunPod refused (e.g. 404 for an unknown endpoint or worker).
 * @throws {RunpodConnectionError} as for {@linkcode readPodLogs}.
 */
export async function readWorkerLogs(
  client: RunpodClient,
  endpointId: string,
  workerId: string,
  options: ReadPodLogsOptions = {},
): Promise<LogRead> {
  const path = `/v2/serverless/${pathSegment(endpointId, "endpoint id")}/workers/${
    pathSegment(workerId, "worker id")
  }/logs`;
  return await readLogStream(client, path, options);
}

/** Opens the log stream at `path` and reads it within the bounds of `options`. */
async function readLogStream(
  client: RunpodClient,
  path: string,
  options: ReadPodLogsOptions,
): Promise<LogRead> {
  for (let attempt = 1;; attempt++) {
    const response = await client.openEventStream({
      path,
      query: { tail: options.tail, source: options.source },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    try {
      return await readLogFrames(response, options);
    } catch (error) {
      if (!(error instanceof BrokenStream)) throw error;
      // Nothing was consumed yet, so asking again cannot duplicate or lose a line.
      if (attempt < 2) continue;
      throw new RunpodConnectionError({
        method: "GET",
        path,
        api: "rest",
        timedOut: false,
        cause: error.cause,
      });
    }
  }
}

/** The body failed before its first byte. */
class BrokenStream extends Error {
  override name = "BrokenStream";
}

/** Reads log frames from an open event-stream response until one of the bounds is reached. */
async function readLogFrames(response: Response, options: ReadPodLogsOptions): Promise<LogRead> {
  const idleMs = positiveOr(options.idleMs, DEFAULT_LOG_IDLE_MS);
  const maxWaitMs = positiveOr(options.maxWaitMs, DEFAULT_LOG_MAX_WAIT_MS);
  const maxBytes = positiveOr(options.maxBytes, DEFAULT_LOG_MAX_BYTES);
  const signal = options.signal;
  const lines: LogLine[] = [];
  const started = performance.now();
  let lastEvent = started;
  const parser = createParser({
    onEvent(event) {
      lastEvent = performance.now();
      const frame = parseFrame(event.data);
      // A frame we cannot read is RunPod's problem, not a reason to lose the other lines.
      if (!frame) return;
      lines.push({ ts: frame.ts ?? event.id ?? "", source: frame.source, line: frame.line });
    },
  });
  if (!response.body) return { lines, truncated: false, stoppedBy: "end" };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let bytes = 0;
  let stoppedBy: LogReadStop = "end";
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  try {
    for (;;) {
      const now = performance.now();
      const idleLeft = idleMs - (now - lastEvent);
      const waitLeft = maxWaitMs - (now - started);
      if (waitLeft <= 0) {
        stoppedBy = "max-wait";
        break;
      }
      if (idleLeft <= 0) {
        stoppedBy = "idle";
        break;
      }
      // A read that outlives its timeout stays pending and is awaited again, so no chunk is lost.
      pending ??= reader.read();
      const chunk = await within(pending, Math.min(idleLeft, waitLeft));
      if (chunk === "timeout") continue;
      pending = undefined;
      if (chunk.done) break;
      const room = maxBytes - bytes;
      const value = chunk.value.byteLength > room ? chunk.value.subarray(0, room) : chunk.value;
      bytes += value.byteLength;
      parser.feed(decoder.decode(value, { stream: true }));
      if (bytes >= maxBytes) {
        stoppedBy = "max-bytes";
        break;
      }
    }
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (bytes === 0) {
      throw new BrokenStream("the log stream broke before its first byte", { cause: error });
    }
    // Lines already read are worth more than an error; `truncated` says some may be missing.
    stoppedBy = "broken";
  } finally {
    // Cancelling closes the connection; RunPod would otherwise keep it open indefinitely.
    await reader.cancel().catch(() => {});
  }
  return { lines, truncated: stoppedBy === "max-bytes" || stoppedBy === "broken", stoppedBy };
}

/** The read's result, or `"timeout"` when it did not settle within `ms`. */
async function within<T>(read: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), Math.max(1, Math.ceil(ms)));
  });
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function parseFrame(data: string): z.output<typeof FrameSchema> | undefined {
  try {
    const result = FrameSchema.safeParse(JSON.parse(data));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
