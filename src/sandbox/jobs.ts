/**
 * The serverless job API (`/v2/{endpointId}/run|runsync|status|stream|cancel|retry|purge-queue|
 * health`) and the job state machine IN_QUEUE → IN_PROGRESS → COMPLETED | FAILED | TIMED_OUT.
 *
 * The simulated worker is scripted by the job input (see {@linkcode JobRecord}). Jobs wait 1 s
 * in the queue when the endpoint has no always-on worker (0 s otherwise) and never start while
 * `workers.max` is 0. `/runsync` does not block: when the job would finish within `wait`, the
 * job is fast-forwarded to its end and the result returned at once. Webhooks are recorded in
 * `state.webhookDeliveries`, not sent.
 *
 * @module
 */

import type { Ctx, Route } from "./context.ts";
import type { IdSource } from "./ids.ts";
import { json } from "./http.ts";
import { chargeServerless, workerId, workerPricePerHour } from "./serverless.ts";
import type { EndpointRecord, JobRecord, SimulatorState } from "./state.ts";

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const RUN_RETENTION = 30 * 60_000;
const SYNC_RETENTION = 60_000;
const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"]);

function jobError(status: number, error: string): Response {
  return json({ error }, status);
}

function plan(job: JobRecord, ep: EndpointRecord, now: number): void {
  const input = (job.input ?? {}) as Record<string, unknown>;
  const duration = typeof input.duration_ms === "number" && input.duration_ms >= 0
    ? input.duration_ms
    : 2000;
  const timeout = job.policy?.executionTimeout ?? (ep.timeout > 0 ? ep.timeout : 600_000);
  job.createdAt = now;
  job.startAt = ep.workers.max === 0 ? Infinity : now + (ep.workers.min > 0 ? 0 : 1000);
  if (duration > timeout) {
    job.outcome = "TIMED_OUT";
    job.endAt = job.startAt + timeout;
  } else {
    job.outcome = typeof input.fail === "string" ? "FAILED" : "COMPLETED";
    job.endAt = job.startAt + duration;
  }
  const chunks = Array.isArray(input.stream) ? input.stream as unknown[] : [];
  job.streamPlan = chunks
    .map((chunk, i) => ({ at: job.startAt + duration * (i + 1) / (chunks.length + 1), chunk }))
    .filter((c) => c.at < job.endAt);
  job.streamed = 0;
  job.pendingStream = [];
  job.expiresAt = now + (job.policy?.ttl ?? DAY);
  delete job.output;
  delete job.error;
  delete job.completedAt;
  delete job.workerId;
}

function statusView(job: JobRecord, now: number): Record<string, unknown> {
  const view: Record<string, unknown> = { id: job.id, status: job.status };
  if (job.status !== "IN_QUEUE" && job.startAt !== Infinity && job.startAt <= now) {
    view.delayTime = Math.round(job.startAt - job.createdAt);
    view.executionTime = Math.round(Math.min(job.completedAt ?? now, job.endAt) - job.startAt);
  }
  if (job.status === "COMPLETED") view.output = job.output;
  if (job.error !== undefined) view.error = job.error;
  if (job.retries > 0) view.retries = job.retries;
  if (job.workerId) view.workerId = job.workerId;
  return view;
}

function finish(state: SimulatorState, job: JobRecord, ep: EndpointRecord | undefined): void {
  const input = (job.input ?? {}) as Record<string, unknown>;
  job.status = job.outcome;
  job.completedAt = job.endAt;
  if (job.outcome === "COMPLETED") {
    job.output = job.streamPlan.length > 0
      ? job.streamPlan.map((c) => c.chunk)
      : "output" in input
      ? input.output
      : { echo: job.input };
    if (job.streamPlan.length === 0) job.pendingStream.push(job.output);
  } else if (job.outcome === "FAILED") {
    job.error = String(input.fail);
  } else {
    job.error = "job timed out";
  }
  job.expiresAt = job.endAt + (job.sync ? SYNC_RETENTION : RUN_RETENTION);
  // Always-on workers are billed by the endpoint; flex workers per execution.
  if (ep && ep.workers.min === 0) {
    chargeServerless(
      state,
      ep.id,
      job.startAt,
      job.endAt,
      workerPricePerHour(state, ep),
      ep.gpu !== null,
    );
  }
  if (job.webhook) {
    state.webhookDeliveries.push({
      url: job.webhook,
      at: job.endAt,
      body: { ...statusView(job, job.endAt), input: job.input, webhook: job.webhook },
    });
  }
}

/** Advances one job to `now`. */
function settleJob(state: SimulatorState, job: JobRecord, now: number): void {
  const ep = state.endpoints.get(job.endpointId);
  if (job.status === "IN_QUEUE" && now >= job.startAt) {
    job.status = "IN_PROGRESS";
    job.workerId = ep ? workerId(ep, 0) : "worker";
  }
  if (job.status === "IN_PROGRESS") {
    while (job.streamed < job.streamPlan.length && job.streamPlan[job.streamed]!.at <= now) {
      job.pendingStream.push(job.streamPlan[job.streamed]!.chunk);
      job.streamed++;
    }
    if (now >= job.endAt) finish(state, job, ep);
  }
}

/** Advances every job to `now`; jobs past their TTL or retention disappear. */
export function settleJobs(state: SimulatorState, now: number, _ids: IdSource): void {
  for (const [id, job] of state.jobs) {
    if (!TERMINAL.has(job.status)) settleJob(state, job, Math.min(now, job.expiresAt));
    if (now >= job.expiresAt) state.jobs.delete(id);
  }
}

function queueEndpoint(ctx: Ctx): EndpointRecord | Response {
  const ep = ctx.state.endpoints.get(ctx.params.endpointId ?? "");
  if (!ep) return jobError(404, `endpoint ${ctx.params.endpointId} not found`);
  if (ep.type !== "QUEUE") return jobError(400, "not allowed for QB API");
  return ep;
}

function findJob(ctx: Ctx, ep: EndpointRecord): JobRecord | Response {
  const job = ctx.state.jobs.get(ctx.params.jobId ?? "");
  if (!job || job.endpointId !== ep.id) return jobError(404, "request does not exist");
  return job;
}

function submit(ctx: Ctx, sync: boolean): Response {
  const ep = queueEndpoint(ctx);
  if (ep instanceof Response) return ep;
  if (ctx.bodyInvalid) return jobError(400, "request body must be valid JSON");
  const body = ctx.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== "object" || Array.isArray(body) || !("input" in body)) {
    return jobError(400, "request body must be a JSON object with an 'input' field");
  }
  const policy = (body.policy ?? undefined) as JobRecord["policy"];
  if (policy !== undefined && (typeof policy !== "object" || policy === null)) {
    return jobError(400, "policy must be an object");
  }
  const et = policy?.executionTimeout;
  if (et !== undefined && (typeof et !== "number" || et < 5000 || et > WEEK)) {
    return jobError(400, "policy.executionTimeout must be between 5000 ms and 7 days");
  }
  const ttl = policy?.ttl;
  if (ttl !== undefined && (typeof ttl !== "number" || ttl < 10_000 || ttl > WEEK)) {
    return jobError(400, "policy.ttl must be between 10000 ms and 7 days");
  }
  if (body.webhook !== undefined && typeof body.webhook !== "string") {
    return jobError(400, "webhook must be a URL string");
  }
  let wait = 90_000;
  if (sync && ctx.query.wait !== undefined) {
    wait = Number(ctx.query.wait);
    if (!Number.isInteger(wait) || wait < 1000 || wait > 300_000) {
      return jobError(400, "wait must be an integer between 1000 and 300000");
    }
  }
  const job: JobRecord = {
    id: sync ? `sync-${ctx.ids.uuid()}-u1` : `${ctx.ids.uuid()}-u1`,
    endpointId: ep.id,
    status: "IN_QUEUE",
    input: body.input,
    retries: 0,
    createdAt: ctx.now,
    startAt: ctx.now,
    endAt: ctx.now,
    outcome: "COMPLETED",
    streamPlan: [],
    streamed: 0,
    pendingStream: [],
    sync,
    expiresAt: ctx.now,
  };
  if (typeof body.webhook === "string") job.webhook = body.webhook;
  if (policy) job.policy = { ...policy };
  if (body.s3Config !== undefined) job.s3Config = body.s3Config;
  plan(job, ep, ctx.now);
  ctx.state.jobs.set(job.id, job);
  if (!sync) return json({ id: job.id, status: job.status });
  if (job.endAt - ctx.now <= wait) {
    settleJob(ctx.state, job, job.endAt);
    return json(statusView(job, job.endAt));
  }
  return json({ id: job.id, status: job.status });
}

function status(ctx: Ctx): Response {
  const ep = queueEndpoint(ctx);
  if (ep instanceof Response) return ep;
  const job = findJob(ctx, ep);
  return job instanceof Response ? job : json(statusView(job, ctx.now));
}

function stream(ctx: Ctx): Response {
  const ep = queueEndpoint(ctx);
  if (ep instanceof Response) return ep;
  const job = findJob(ctx, ep);
  if (job instanceof Response) return job;
  const chunks = job.pendingStream.splice(0);
  return json({ status: job.status, stream: chunks.map((output) => ({ output })) });
}

function cancel(ctx: Ctx): Response {
  const ep = queueEndpoint(ctx);
  if (ep instanceof Response) return ep;
  const job = findJob(ctx, ep);
  if (job instanceof Response) return job;
  if (!TERMINAL.has(job.status)) {
    if (job.status === "IN_PROGRESS" && ep.workers.min === 0) {
      chargeServerless(
        ctx.state,
        ep.id,
        job.startAt,
        ctx.now,
        workerPricePerHour(ctx.state, ep),
        ep.gpu !== null,
      );
    }
    job.status = "CANCELLED";
    job.completedAt = ctx.now;
    job.endAt = ctx.now;
    job.expiresAt = ctx.now + (job.sync ? SYNC_RETENTION : RUN_RETENTION);
  }
  return json({ id: job.id, status: job.status });
}

function retry(ctx: Ctx): Response {
  const ep = queueEndpoint(ctx);
  if (ep instanceof Response) return ep;
  const job = findJob(ctx, ep);
  if (job instanceof Response) return job;
  if (job.status !== "FAILED" && job.status !== "TIMED_OUT") {
    return jobError(400, `job ${job.id} cannot be retried: its status is ${job.status}`);
  }
  const retries = job.retries + 1;
  job.status = "IN_QUEUE";
  plan(job, ep, ctx.now);
  job.retries = retries;
  return json({ id: job.id, status: job.status });
}

function purgeQueue(ctx: Ctx): Response {
  const ep = queueEndpoint(ctx);
  if (ep instanceof Response) return ep;
  let removed = 0;
  for (const [id, job] of ctx.state.jobs) {
    if (job.endpointId === ep.id && job.status === "IN_QUEUE") {
      ctx.state.jobs.delete(id);
      removed++;
    }
  }
  return json({ removed, status: "completed" });
}

function health(ctx: Ctx): Response {
  const ep = queueEndpoint(ctx);
  if (ep instanceof Response) return ep;
  const jobs = { completed: 0, failed: 0, inProgress: 0, inQueue: 0, retried: 0 };
  for (const job of ctx.state.jobs.values()) {
    if (job.endpointId !== ep.id) continue;
    if (job.status === "COMPLETED") jobs.completed++;
    else if (job.status === "FAILED" || job.status === "TIMED_OUT") jobs.failed++;
    else if (job.status === "IN_PROGRESS") jobs.inProgress++;
    else if (job.status === "IN_QUEUE") jobs.inQueue++;
    if (job.retries > 0) jobs.retried++;
  }
  const running = Math.min(jobs.inProgress, ep.workers.max);
  const idle = Math.max(0, ep.workers.min - running);
  return json({
    jobs,
    workers: { idle, initializing: 0, ready: idle, running, throttled: 0, unhealthy: 0 },
  });
}

/** Job API routes (`:endpointId` is any first segment that is not a REST resource word). */
export const jobRoutes: readonly Route[] = [
  { method: "POST", path: "/v2/:endpointId/run", handler: (ctx) => submit(ctx, false) },
  { method: "POST", path: "/v2/:endpointId/runsync", handler: (ctx) => submit(ctx, true) },
  { method: "GET", path: "/v2/:endpointId/status/:jobId", handler: status },
  { method: "POST", path: "/v2/:endpointId/status/:jobId", handler: status },
  { method: "GET", path: "/v2/:endpointId/stream/:jobId", handler: stream },
  { method: "POST", path: "/v2/:endpointId/stream/:jobId", handler: stream },
  { method: "POST", path: "/v2/:endpointId/cancel/:jobId", handler: cancel },
  { method: "POST", path: "/v2/:endpointId/retry/:jobId", handler: retry },
  { method: "POST", path: "/v2/:endpointId/purge-queue", handler: purgeQueue },
  { method: "GET", path: "/v2/:endpointId/health", handler: health },
];
