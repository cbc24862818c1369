/**
 * Serverless worker logs (`GET /v2/serverless/{id}/workers/{workerId}/logs`) as server-sent
 * events, like pod logs: `id:` plus a `data:` frame `{source, line, ts}` per line, `source`,
 * `tail`, `since` and `Last-Event-ID` honoured, and the stream left open (RunPod keeps it open
 * while the worker is silent) until the client goes away.
 *
 * A simulated worker's log is derived from the jobs it ran: a system line when it started, and a
 * container line when each job started and when it ended (a failed job's error included, so a
 * job's input can put arbitrary text into the log, as on RunPod).
 *
 * @module
 */

import type { Ctx } from "./context.ts";
import { eventStream, iso, problem } from "./http.ts";
import type { EndpointRecord, LogLine } from "./state.ts";

const encoder = new TextEncoder();

/** Worker ids are stable per endpoint and slot. */
export function workerId(ep: EndpointRecord, slot: number): string {
  return `${ep.id.slice(0, 10)}w${slot.toString(36).padStart(3, "0")}`;
}

/** Worker ids the endpoint has now, or that ran one of its jobs still on record. */
function knownWorkers(ctx: Ctx, ep: EndpointRecord): Set<string> {
  const ids = new Set<string>();
  const active = Math.min(ep.workers.max, ep.workers.min);
  for (let slot = 0; slot < active; slot++) ids.add(workerId(ep, slot));
  for (const job of ctx.state.jobs.values()) {
    if (job.endpointId === ep.id && job.workerId) ids.add(job.workerId);
  }
  return ids;
}

/** The worker's log up to now, oldest first. */
function workerLog(ctx: Ctx, ep: EndpointRecord, worker: string): LogLine[] {
  const jobs = [...ctx.state.jobs.values()].filter((j) =>
    j.endpointId === ep.id && j.workerId === worker && j.startAt <= ctx.now
  );
  const firstStart = Math.min(ep.createdAt, ...jobs.map((j) => j.startAt));
  const lines: LogLine[] = [
    { at: firstStart, source: "system", line: `worker ${worker} started (image ${ep.image})` },
  ];
  for (const job of jobs) {
    lines.push({ at: job.startAt, source: "container", line: `job ${job.id} started` });
    if (job.completedAt === undefined) continue;
    const end = job.status === "FAILED" || job.status === "TIMED_OUT"
      ? `job ${job.id} ${job.status.toLowerCase()}: ${job.error ?? ""}`
      : `job ${job.id} ${job.status.toLowerCase()}`;
    lines.push({ at: job.completedAt, source: "container", line: end });
  }
  return lines.sort((a, b) => a.at - b.at);
}

/** The query's problems, or the source and tail it asks for. */
function readQuery(ctx: Ctx): string[] | { source?: string; tail: number; since?: number } {
  const errors: string[] = [];
  const { source, tail: tailRaw, since: sinceRaw } = ctx.query;
  if (source !== undefined && source !== "container" && source !== "system") {
    errors.push("source: value must be one of 'container', 'system'");
  }
  let tail = 100;
  if (tailRaw !== undefined) {
    if (!/^\d+$/.test(tailRaw) || Number(tailRaw) > 5000) {
      errors.push(`tail: must be an integer between 0 and 5000, got '${tailRaw}'`);
    } else tail = Number(tailRaw);
  }
  const since = sinceRaw === undefined ? undefined : Date.parse(sinceRaw);
  if (since !== undefined && Number.isNaN(since)) {
    errors.push(`since: '${sinceRaw}' is not an RFC 3339 date-time`);
  }
  if (errors.length > 0) return errors;
  return {
    tail,
    ...(source !== undefined ? { source } : {}),
    ...(since !== undefined ? { since } : {}),
  };
}

/** Handler of `GET /v2/serverless/:id/workers/:workerId/logs`. */
export function workerLogs(ctx: Ctx): Response {
  const ep = ctx.state.endpoints.get(ctx.params.id ?? "");
  if (!ep) return problem(404, `endpoint '${ctx.params.id}' not found`);
  const worker = ctx.params.workerId ?? "";
  if (!knownWorkers(ctx, ep).has(worker)) return problem(404, `worker '${worker}' not found`);
  const query = readQuery(ctx);
  if (Array.isArray(query)) return problem(422, "Request validation failed.", query);
  const all = workerLog(ctx, ep, worker)
    .filter((l) => query.source === undefined || l.source === query.source)
    .map((l, i) => ({ ...l, id: `${iso(l.at)}/${String(i).padStart(12, "0")}` }));
  const lastEventId = ctx.request.headers.get("last-event-id") ?? undefined;
  const backlog = lastEventId !== undefined
    ? all.filter((l) => l.id > lastEventId)
    : query.since !== undefined
    ? all.filter((l) => l.at >= query.since!)
    : query.tail === 0
    ? []
    : all.slice(-query.tail);
  return sse(
    ctx.signal,
    backlog.map((l) => {
      const data = JSON.stringify({ ts: iso(l.at), source: l.source, line: l.line });
      return encoder.encode(`id: ${l.id}\ndata: ${data}\n\n`);
    }),
  );
}

/** An event stream that sends `frames`, then stays open until the caller goes away. */
function sse(signal: AbortSignal, frames: Uint8Array[]): Response {
  let onAbort = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const frame of frames) controller.enqueue(frame);
      onAbort = () => {
        try {
          controller.close();
        } catch {
          // Already closed or cancelled by the consumer.
        }
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    },
    cancel() {
      signal.removeEventListener("abort", onAbort);
    },
  });
  return eventStream(body);
}
