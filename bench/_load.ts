/**
 * Helpers for `bench/http_load.ts`: a minimal stateless MCP client over Streamable HTTP (2025
 * protocol, JSON or SSE answers), per-call statistics, and the process plumbing (spawn with log
 * files, `/proc` readings) the bench needs to measure a server it did not start in process.
 *
 * The client is hand-written rather than the SDK's so that both servers are driven by exactly
 * the same bytes, and so that the client's own cost stays small next to the servers'.
 *
 * @module
 */

/** The protocol revision both servers are asked for. */
export const PROTOCOL_VERSION = "2025-11-25";

/** Deadline for one MCP request, ms. */
const REQUEST_TIMEOUT_MS = 30_000;
/** How much of a failing answer an error example keeps. */
const EXAMPLE_CHARS = 300;
/** Error examples kept per server. */
const MAX_EXAMPLES = 8;

/** How one JSON-RPC request over HTTP ended. */
export interface RpcOutcome {
  /** HTTP status; 0 when no response arrived. */
  status: number;
  /** Size of the response body, bytes. */
  bytes?: number;
  /** The JSON-RPC `result`, when there was one. */
  result?: Record<string, unknown>;
  /** What went wrong, when there was no result. */
  failure?: Failure;
}

/** Kinds of failed calls, as the report counts them. */
export type FailureKind = "http" | "jsonrpc" | "tool" | "transport" | "shape";

/** One failed call. */
export interface Failure {
  kind: FailureKind;
  /** The step or tool that failed. */
  tool?: string;
  /** A short excerpt of what came back. */
  detail: string;
}

/** Options for {@linkcode McpHttpSession}. */
export interface McpHttpSessionOptions {
  /** The MCP endpoint, e.g. `http://127.0.0.1:8080/mcp`. */
  url: string;
  /** Sent as `Authorization: Bearer …`. */
  bearer: string;
  /** The connection pool to use (keep-alive). */
  client: Deno.HttpClient;
}

const decoder = new TextDecoder();

function clip(text: string): string {
  return text.length > EXAMPLE_CHARS ? `${text.slice(0, EXAMPLE_CHARS)}…` : text;
}

/** The JSON-RPC messages in a response body, whether plain JSON or server-sent events. */
function messagesOf(contentType: string, text: string): unknown[] {
  if (!contentType.includes("text/event-stream")) {
    const parsed = JSON.parse(text);
    return Array.isArray(parsed) ? parsed : [parsed];
  }
  const messages: unknown[] = [];
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event.split(/\r?\n/)
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).replace(/^ /, ""));
    if (data.length > 0) messages.push(JSON.parse(data.join("\n")));
  }
  return messages;
}

/** Reads the answer to request `id` out of an HTTP response. */
async function outcomeOf(response: Response, id: number): Promise<RpcOutcome> {
  const raw = new Uint8Array(await response.arrayBuffer());
  const text = decoder.decode(raw);
  const status = response.status;
  const bytes = raw.byteLength;
  if (status !== 200) {
    return { status, bytes, failure: { kind: "http", detail: `${status} ${clip(text)}` } };
  }
  let messages: unknown[];
  try {
    messages = messagesOf(response.headers.get("content-type") ?? "", text);
  } catch {
    const detail = `unparsable body: ${clip(text)}`;
    return { status, bytes, failure: { kind: "transport", detail } };
  }
  const answer = messages.find((m) => (m as { id?: unknown })?.id === id) as
    | { result?: Record<string, unknown>; error?: unknown }
    | undefined;
  if (answer?.result) return { status, bytes, result: answer.result };
  const detail = answer?.error ? JSON.stringify(answer.error) : `no answer to id ${id}: ${text}`;
  return { status, bytes, failure: { kind: "jsonrpc", detail: clip(detail) } };
}

/**
 * One virtual client: stateless Streamable HTTP, so it initializes once (to learn the protocol
 * version) and then sends each request on its own, with no session id unless the server set one.
 */
export class McpHttpSession {
  #options: McpHttpSessionOptions;
  #nextId = 1;
  #protocolVersion: string | undefined;
  #sessionId: string | undefined;

  /** Creates a session that has not initialized yet. */
  constructor(options: McpHttpSessionOptions) {
    this.#options = options;
  }

  /** The protocol version the server chose in `initialize`. */
  get protocolVersion(): string | undefined {
    return this.#protocolVersion;
  }

  #headers(): Headers {
    const headers = new Headers({
      "content-type": "application/json",
      "accept": "application/json, text/event-stream",
      "authorization": `Bearer ${this.#options.bearer}`,
    });
    if (this.#protocolVersion) headers.set("mcp-protocol-version", this.#protocolVersion);
    if (this.#sessionId) headers.set("mcp-session-id", this.#sessionId);
    return headers;
  }

  async #post(body: unknown): Promise<Response> {
    return await fetch(this.#options.url, {
      method: "POST",
      headers: this.#headers(),
      body: JSON.stringify(body),
      client: this.#options.client,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  }

  /** Sends one request and waits for its answer. Never throws. */
  async request(method: string, params: Record<string, unknown>): Promise<RpcOutcome> {
    const id = this.#nextId++;
    try {
      const response = await this.#post({ jsonrpc: "2.0", id, method, params });
      return await outcomeOf(response, id);
    } catch (error) {
      return { status: 0, failure: { kind: "transport", detail: clip(String(error)) } };
    }
  }

  /** `initialize` then `notifications/initialized`, as a 2025 client does. */
  async initialize(clientName: string): Promise<RpcOutcome> {
    const outcome = await this.request("initialize", {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: clientName, version: "1.0.0" },
    });
    if (!outcome.result) return outcome;
    this.#protocolVersion = String(outcome.result.protocolVersion);
    try {
      const response = await this.#post({ jsonrpc: "2.0", method: "notifications/initialized" });
      this.#sessionId ??= response.headers.get("mcp-session-id") ?? undefined;
      const text = await response.text();
      if (response.status !== 202 && response.status !== 200) {
        const detail = `notifications/initialized: ${response.status} ${clip(text)}`;
        return { status: response.status, failure: { kind: "http", detail } };
      }
    } catch (error) {
      return { status: 0, failure: { kind: "transport", detail: clip(String(error)) } };
    }
    return outcome;
  }

  /**
   * Calls a tool. A result with `isError: true` counts as a failure of kind `tool`: no call in
   * the bench's scenario is meant to fail.
   */
  async callTool(name: string, args: Record<string, unknown>): Promise<RpcOutcome> {
    const outcome = await this.request("tools/call", { name, arguments: args });
    if (outcome.result?.isError === true) {
      const content = JSON.stringify(outcome.result.content ?? outcome.result);
      const failure: Failure = { kind: "tool", detail: clip(content) };
      return {
        status: outcome.status,
        ...(outcome.bytes ? { bytes: outcome.bytes } : {}),
        failure,
      };
    }
    return outcome;
  }
}

/** Latency and failures of the calls one server answered. */
export interface StatsSummary {
  calls: number;
  errors: number;
  errorsByKind: Record<FailureKind, number>;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Mean response body size, bytes. */
  meanBytes: number;
  /** The same, per scenario step. */
  perStep: Record<
    string,
    { calls: number; errors: number; p50Ms: number; p99Ms: number; meanBytes: number }
  >;
  examples: Failure[];
}

/** The value below which `p` (0..1) of the sorted `values` fall (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1]!;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Collects per-call latencies and failures. */
export class LoadStats {
  #latencies = new Map<string, number[]>();
  #errors = new Map<string, number>();
  #byKind: Record<FailureKind, number> = { http: 0, jsonrpc: 0, tool: 0, transport: 0, shape: 0 };
  #examples: Failure[] = [];
  #bytes = new Map<string, number>();

  /** Records one call of `step` that took `ms`, its answer's size, and its failure if it failed. */
  record(step: string, ms: number, failure?: Failure, bytes = 0): void {
    this.#bytes.set(step, (this.#bytes.get(step) ?? 0) + bytes);
    let list = this.#latencies.get(step);
    if (!list) this.#latencies.set(step, list = []);
    list.push(ms);
    if (!failure) return;
    this.#errors.set(step, (this.#errors.get(step) ?? 0) + 1);
    this.#byKind[failure.kind]++;
    if (this.#examples.length < MAX_EXAMPLES) this.#examples.push({ ...failure, tool: step });
  }

  /** Totals, percentiles and examples. */
  summary(): StatsSummary {
    const all = [...this.#latencies.values()].flat().sort((a, b) => a - b);
    const perStep: StatsSummary["perStep"] = {};
    for (const [step, list] of this.#latencies) {
      const sorted = [...list].sort((a, b) => a - b);
      perStep[step] = {
        calls: sorted.length,
        errors: this.#errors.get(step) ?? 0,
        p50Ms: round2(percentile(sorted, 0.5)),
        p99Ms: round2(percentile(sorted, 0.99)),
        meanBytes: Math.round((this.#bytes.get(step) ?? 0) / sorted.length),
      };
    }
    const bytes = [...this.#bytes.values()].reduce((a, b) => a + b, 0);
    const errors = Object.values(this.#byKind).reduce((a, b) => a + b, 0);
    return {
      calls: all.length,
      errors,
      errorsByKind: { ...this.#byKind },
      p50Ms: round2(percentile(all, 0.5)),
      p99Ms: round2(percentile(all, 0.99)),
      meanMs: round2(all.reduce((a, b) => a + b, 0) / Math.max(1, all.length)),
      meanBytes: Math.round(bytes / Math.max(1, all.length)),
      perStep,
      examples: [...this.#examples],
    };
  }
}

/** Memory and CPU of a process, from `/proc`. */
export interface ProcReading {
  /** Peak resident set size so far (VmHWM), bytes. */
  peakRssBytes: number;
  /** Resident set size now (VmRSS), bytes. */
  rssBytes: number;
  /** User + system CPU time so far, seconds. */
  cpuSeconds: number;
}

// USER_HZ, the unit of /proc/<pid>/stat times: 100 on every Linux build that matters here.
const CLOCK_TICKS_PER_SECOND = 100;

function kbField(status: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
  return match ? Number(match[1]) * 1024 : NaN;
}

/** Reads `/proc/<pid>/status` and `/proc/<pid>/stat` (`"self"` for this process). */
export async function readProc(pid: number | "self"): Promise<ProcReading> {
  const [status, stat] = await Promise.all([
    Deno.readTextFile(`/proc/${pid}/status`),
    Deno.readTextFile(`/proc/${pid}/stat`),
  ]);
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return {
    peakRssBytes: kbField(status, "VmHWM"),
    rssBytes: kbField(status, "VmRSS"),
    cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND,
  };
}

/**
 * CPU time every process on the machine has used since boot, seconds (from `/proc/stat`), so
 * that a report can show how much of the machine something other than the bench took.
 */
export async function readSystemCpuSeconds(): Promise<number> {
  const line = (await Deno.readTextFile("/proc/stat")).split("\n")[0]!;
  // cpu user nice system idle iowait irq softirq steal …: everything but idle and iowait.
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(
    Number,
  );
  const busy = [user, nice, system, irq, softirq, steal].reduce((a, b) => a! + (b ?? 0), 0)!;
  return busy / CLOCK_TICKS_PER_SECOND;
}

/** A process started by {@linkcode spawnLogged}. */
export interface LoggedProcess {
  pid: number;
  /** Where its stdout and stderr go. */
  stdoutPath: string;
  stderrPath: string;
  /** Resolves with the exit code. */
  status: Promise<Deno.CommandStatus>;
  /** Waits for the first line of `stream` that matches, or throws after `timeoutMs`. */
  waitForLine(stream: "stdout" | "stderr", pattern: RegExp, timeoutMs: number): Promise<string>;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Options for {@linkcode spawnLogged}. */
export interface SpawnLoggedOptions {
  cwd: string;
  /** The whole environment of the child (nothing else is inherited). */
  env: Record<string, string>;
  /** Folder for the two log files. */
  logDir: string;
  /** File name prefix for the log files. */
  name: string;
}

/**
 * Starts `command args…` with stdout and stderr written to files rather than pipes, so that a
 * busy reader (this bench) can never slow the server down through a full pipe, and so that the
 * logs stay available as evidence. `sh` execs the command, so `pid` is the command's own.
 */
export function spawnLogged(
  command: string,
  args: string[],
  options: SpawnLoggedOptions,
): LoggedProcess {
  const stdoutPath = `${options.logDir}/${options.name}.stdout.log`;
  const stderrPath = `${options.logDir}/${options.name}.stderr.log`;
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", 'out="$1"; err="$2"; shift 2; exec "$@" >"$out" 2>"$err"', "sh"].concat(
      [stdoutPath, stderrPath, command, ...args],
    ),
    cwd: options.cwd,
    env: options.env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const status = child.status;
  let exited = false;
  status.then(() => exited = true);
  return {
    pid: child.pid,
    stdoutPath,
    stderrPath,
    status,
    waitForLine: (stream, pattern, timeoutMs) =>
      waitForLine(stream === "stdout" ? stdoutPath : stderrPath, pattern, timeoutMs, () => exited),
    async stop(graceMs = 10_000) {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (!exited) child.kill("SIGKILL");
      }, graceMs);
      await status;
      clearTimeout(timer);
    },
  };
}

async function waitForLine(
  path: string,
  pattern: RegExp,
  timeoutMs: number,
  exited: () => boolean,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await Deno.readTextFile(path).catch(() => "");
    const line = text.split("\n").find((l) => pattern.test(l));
    if (line !== undefined) return line;
    if (exited()) throw new Error(`Cannot start the server: it exited; see ${path}:\n${text}`);
    if (Date.now() > deadline) {
      throw new Error(`Cannot start the server: no line matching ${pattern} in ${path}:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The peer both benches measure against, as published on npm. */
export const OFFICIAL_PACKAGE = "@runpod/mcp-server";
/** The peer's pinned version. */
export const OFFICIAL_VERSION = "4.0.0";

/** The package.json of `name` installed under `prefix`, or undefined when it is not there. */
export async function installedManifest(
  prefix: string,
  name: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(`${prefix}/node_modules/${name}/package.json`));
  } catch {
    return undefined;
  }
}

/** The official server as installed: its folder, package.json and SDK version. */
export interface OfficialInstall {
  dir: string;
  manifest: Record<string, unknown>;
  sdkVersion: string;
}

/**
 * Installs the official server under `prefix` (outside the repo, so no lock file changes) unless
 * that version is there already.
 */
export async function installOfficial(prefix: string): Promise<OfficialInstall> {
  if ((await installedManifest(prefix, OFFICIAL_PACKAGE))?.version !== OFFICIAL_VERSION) {
    console.error(`installing ${OFFICIAL_PACKAGE}@${OFFICIAL_VERSION} into ${prefix}`);
    await Deno.mkdir(prefix, { recursive: true });
    const spec = `${OFFICIAL_PACKAGE}@${OFFICIAL_VERSION}`;
    const { code, stderr } = await new Deno.Command("npm", {
      args: ["install", "--no-audit", "--no-fund", "--no-save", "--prefix", prefix, spec],
      cwd: prefix,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      const text = new TextDecoder().decode(stderr);
      throw new Error(`Cannot install the official server: npm exited ${code}:\n${text}`);
    }
  }
  const manifest = await installedManifest(prefix, OFFICIAL_PACKAGE);
  if (!manifest) {
    throw new Error(`Cannot find ${OFFICIAL_PACKAGE} under ${prefix} after npm install`);
  }
  const sdk = await installedManifest(prefix, "@modelcontextprotocol/sdk");
  return {
    dir: `${prefix}/node_modules/${OFFICIAL_PACKAGE}`,
    manifest,
    sdkVersion: typeof sdk?.version === "string" ? sdk.version : "?",
  };
}

/** What {@linkcode seedPods} creates: 1-GPU SECURE pods of one image and GPU type. */
/** The GPU type both benches create pods with: one the simulator's catalog always has. */
export const BENCH_GPU_TYPE = "NVIDIA GeForce RTX 4090";
/** The image both benches create pods from. */
export const BENCH_IMAGE = "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04";
/** Bytes in a MiB, for RSS figures. */
export const MB = 1024 * 1024;

export interface SeedPodsOptions {
  apiKey: string;
  count: number;
  image: string;
  gpuType: string;
  /** Runs before each create, e.g. to move a manual clock past the rate limit's window. */
  before?: () => void;
}

/** Creates pods `seed-0` … through the simulator's REST API at `url`; returns their ids. */
export async function seedPods(url: string, options: SeedPodsOptions): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < options.count; i++) {
    options.before?.();
    const response = await fetch(`${url}/v2/pods`, {
      method: "POST",
      headers: { authorization: `Bearer ${options.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        name: `seed-${i}`,
        image: options.image,
        gpu: { id: options.gpuType, count: 1 },
        cloud: "SECURE",
      }),
    });
    const body = await response.json();
    if (response.status !== 201) {
      throw new Error(`Cannot seed the simulator: ${response.status} ${JSON.stringify(body)}`);
    }
    ids.push(body.id);
  }
  return ids;
}
