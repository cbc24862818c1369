/**
 * A bounded load test over real loopback HTTP: this server against the official RunPod MCP server
 * (`@runpod/mcp-server@4.0.0`, installed by this script outside the repository), in the same run,
 * each in its own process and each in front of its own fresh RunPod simulator with the same seed
 * data. Many virtual clients speak the 2025 protocol statelessly to both, with the same mix of
 * reads and guarded writes, and the report gives throughput, latency, errors, peak RSS and the
 * ratios ours/official.
 *
 * Full run (about a minute per round; `--rounds 3` reports each server's median round, which
 * matters on a shared machine): `deno run -A bench/http_load.ts --rounds 3 --json out.json`
 * Smoke run (20 clients × 10 calls): `deno run -A bench/http_load.ts --quick`
 * The first run installs the official server with npm into `$TMPDIR`, so it needs the registry.
 * It needs `-A`: Deno grants reading another process's `/proc/<pid>/status` only with all access.
 *
 * Exits 1 when our server answered any call with an error; throughput is reported, never asserted.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RunpodSimulator } from "../src/sandbox/mod.ts";
import { compilePermissionFlags } from "../tests/_spawn.ts";
import {
  BENCH_GPU_TYPE,
  BENCH_IMAGE,
  type Failure,
  installOfficial,
  LoadStats,
  MB,
  McpHttpSession,
  OFFICIAL_PACKAGE,
  OFFICIAL_VERSION,
  type ProcReading,
  PROTOCOL_VERSION,
  readProc,
  readSystemCpuSeconds,
  type RpcOutcome,
  seedPods,
  spawnLogged,
  type StatsSummary,
} from "./_load.ts";

const ROOT = new URL("../", import.meta.url).pathname;
/** The key both simulators accept; both servers get it as the caller's bearer. */
const API_KEY = "rpa_HTTPLOADBENCH0123456789abcdef";
/** Same seed → same pod ids in both simulators. */
const SIM_SEED = 7;
/**
 * The simulator enforces RunPod's quotas (600 requests a minute, 100,000 a day) on its own clock.
 * A real clock this fast rolls every window over within a second of wall time, so the quotas
 * never bind for either server, and no timer has to keep up with the load.
 */
const SIM_CLOCK_SPEED = 100_000;
/** Pods at this speed run (and bill) for hours per second: enough credit that none is stopped. */
const SIM_BALANCE = 1e12;
const SERVER_START_TIMEOUT_MS = 120_000;

/** Toolchain variables a child needs to find its runtime, cache and registry; nothing else. */
const TOOLCHAIN_ENV = [
  "PATH",
  "HOME",
  "TMPDIR",
  "DENO_DIR",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "DENO_NO_UPDATE_CHECK",
  "NODE_EXTRA_CA_CERTS",
  "NO_COLOR",
];

interface Options {
  clients: number;
  /** Seconds of measured load per server; ignored when `calls` is set. */
  duration: number;
  /** Calls per client, instead of a duration. */
  calls?: number;
  warmup: number;
  seedPods: number;
  /** Rounds per server, alternating which server goes first; the median round is reported. */
  rounds: number;
  json?: string;
  only?: ServerId;
  officialDir: string;
  /** The checkout whose main.ts is "ours" (default: this one). */
  oursRoot: string;
}

type ServerId = "ours" | "official";
type Step = "list_pods" | "get_pod" | "create_pod" | "get_own_pod" | "stop_pod" | "delete_pod";
type Args = Record<string, unknown>;

/** One server's tool names and argument shapes for each step of the scenario. */
interface Flavor {
  id: ServerId;
  label: string;
  tool: Record<Step, string>;
  args: {
    list(): Args;
    get(podId: string): Args;
    create(name: string): Args;
    stop(podId: string): Args;
    delete(podId: string): Args;
  };
  /** The new pod's id in a create result, or undefined. */
  createdPodId(result: Record<string, unknown>): string | undefined;
}

/**
 * Each client repeats this cycle: 7 reads, 3 writes. The writes create a 1-GPU pod well under
 * the hourly cap, stop it and delete it, so every guard runs and every call should succeed.
 */
const CYCLE: readonly Step[] = [
  "list_pods",
  "get_pod",
  "list_pods",
  "get_pod",
  "create_pod",
  "get_own_pod",
  "list_pods",
  "stop_pod",
  "get_pod",
  "delete_pod",
];
const NEEDS_OWN_POD = new Set<Step>(["get_own_pod", "stop_pod", "delete_pod"]);

const OURS: Flavor = {
  id: "ours",
  label: "runpod-mcp (this repo)",
  tool: {
    list_pods: "list_pods",
    get_pod: "get_pod",
    create_pod: "create_pod",
    get_own_pod: "get_pod",
    stop_pod: "stop_pod",
    delete_pod: "terminate_pod",
  },
  args: {
    list: () => ({}),
    get: (podId) => ({ pod_id: podId }),
    // start_ssh=false: the official call sends no startSsh either, so RunPod gets the same body.
    create: (name) => ({
      name,
      image: BENCH_IMAGE,
      gpu_type: BENCH_GPU_TYPE,
      gpu_count: 1,
      cloud: "SECURE",
      start_ssh: false,
    }),
    stop: (podId) => ({ pod_id: podId }),
    delete: (podId) => ({ pod_id: podId }),
  },
  createdPodId: (result) => {
    const pod = (result.structuredContent as { pod?: { id?: unknown } } | undefined)?.pod;
    return typeof pod?.id === "string" ? pod.id : undefined;
  },
};

const OFFICIAL: Flavor = {
  id: "official",
  label: `${OFFICIAL_PACKAGE}@${OFFICIAL_VERSION}`,
  tool: {
    list_pods: "list-pods",
    get_pod: "get-pod",
    create_pod: "create-pod",
    get_own_pod: "get-pod",
    stop_pod: "pod-action",
    delete_pod: "delete-pod",
  },
  args: {
    list: () => ({}),
    get: (podId) => ({ id: podId }),
    create: (name) => ({
      body: { name, image: BENCH_IMAGE, gpu: { id: BENCH_GPU_TYPE, count: 1 }, cloud: "SECURE" },
    }),
    stop: (podId) => ({ id: podId, body: { action: "stop" } }),
    delete: (podId) => ({ id: podId }),
  },
  createdPodId: (result) => {
    const text = (result.content as { type?: string; text?: string }[] | undefined)?.[0]?.text;
    try {
      const id = JSON.parse(text ?? "null")?.id;
      return typeof id === "string" ? id : undefined;
    } catch {
      return undefined;
    }
  },
};

const HELP = `Usage: deno run -A bench/http_load.ts [options]

Loopback HTTP load test: runpod-mcp against ${OFFICIAL_PACKAGE}@${OFFICIAL_VERSION}.

  --clients N       concurrent virtual clients (default 200)
  --duration S      seconds of measured load per server (default 20)
  --calls N         tool calls per client instead of a duration
  --warmup S        seconds of unmeasured load first (default 3)
  --seed-pods N     pods created in each simulator before the run (default 20)
  --rounds N        measure each server N times, alternating the order; report the median
                    round by throughput (default 1)
  --quick           smoke run: 20 clients x 10 calls, no warm-up
  --only SERVER     ours or official
  --official-dir D  npm prefix for the official server (default $TMPDIR/runpod-mcp-bench-official-${OFFICIAL_VERSION})
  --ours-root D     run main.ts from another checkout, e.g. to compare a fix (default this one)
  --json PATH       also write the results as JSON
`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: "string" },
      duration: { type: "string" },
      calls: { type: "string" },
      warmup: { type: "string" },
      "seed-pods": { type: "string" },
      rounds: { type: "string" },
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      "official-dir": { type: "string" },
      "ours-root": { type: "string" },
      json: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const num = (name: string, raw: string | undefined, fallback: number, min: number) => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`Cannot run: --${name} must be >= ${min}`);
    return n;
  };
  if (values.only !== undefined && values.only !== "ours" && values.only !== "official") {
    throw new Error("Cannot run: --only must be ours or official");
  }
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  const calls = values.calls ?? (values.quick ? "10" : undefined);
  return {
    clients: num("clients", values.clients, values.quick ? 20 : 200, 1),
    duration: num("duration", values.duration, 20, 1),
    ...(calls !== undefined ? { calls: num("calls", calls, 10, 1) } : {}),
    warmup: num("warmup", values.warmup, values.quick ? 0 : 3, 0),
    seedPods: num("seed-pods", values["seed-pods"], 20, 1),
    rounds: num("rounds", values.rounds, 1, 1),
    ...(values.json ? { json: values.json } : {}),
    ...(values.only ? { only: values.only as ServerId } : {}),
    officialDir: values["official-dir"] ?? `${tmp}/runpod-mcp-bench-official-${OFFICIAL_VERSION}`,
    oursRoot: values["ours-root"] ?? ROOT,
  };
}

function toolchainEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of TOOLCHAIN_ENV) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Upstream (simulator) requests seen during the measured phase. */
interface UpstreamTally {
  requests: number;
  non2xx: number;
  byStatus: Record<string, number>;
  /** True when the simulator's log overflowed between two tallies, so counts are low. */
  incomplete: boolean;
}

/** A fresh simulator on 127.0.0.1:0, with seeded pods and a counter of what it answered. */
interface SimHandle {
  url: string;
  seededPodIds: string[];
  /** Forgets what was counted so far. */
  resetTally(): void;
  tally(): UpstreamTally;
  /** Pods on the simulated account now (list_pods answers grow with it). */
  pods(): number;
  close(): Promise<void>;
}

async function startSimulator(seedCount: number): Promise<SimHandle> {
  const sim = new RunpodSimulator({
    apiKey: API_KEY,
    seed: SIM_SEED,
    balance: SIM_BALANCE,
    clock: { mode: "real", speed: SIM_CLOCK_SPEED },
  });
  const { url, close } = await sim.listen();
  const seededPodIds = await seedPods(url, {
    apiKey: API_KEY,
    count: seedCount,
    image: BENCH_IMAGE,
    gpuType: BENCH_GPU_TYPE,
  });
  let counts: UpstreamTally = { requests: 0, non2xx: 0, byStatus: {}, incomplete: false };
  const drain = () => {
    // The simulator keeps its latest 10,000 requests in real-clock mode; a full log means some
    // were dropped before this tally saw them.
    if (sim.requests.length >= 10_000) counts.incomplete = true;
    for (const r of sim.requests) {
      counts.requests++;
      if (r.status < 200 || r.status > 299) counts.non2xx++;
      counts.byStatus[r.status] = (counts.byStatus[r.status] ?? 0) + 1;
    }
    sim.clearRequests();
  };
  const timer = setInterval(drain, 100);
  return {
    url,
    seededPodIds,
    resetTally() {
      sim.clearRequests();
      counts = { requests: 0, non2xx: 0, byStatus: {}, incomplete: false };
    },
    tally() {
      drain();
      return structuredClone(counts);
    },
    pods: () => sim.state.pods.size,
    async close() {
      clearInterval(timer);
      await close();
    },
  };
}

/** A server under test, running in its own process. */
interface ServerProcess {
  url: string;
  pid: number;
  logDir: string;
  stop(): Promise<void>;
}

async function startOurs(simUrl: string, root: string, logDir: string): Promise<ServerProcess> {
  // All permissions (the port is picked at random), but the binary's V8 flags, as it would serve.
  const v8 = (await compilePermissionFlags()).filter((flag) => flag.startsWith("--v8-flags="));
  const proc = spawnLogged(
    Deno.execPath(),
    ["run", "-A", ...v8, "main.ts", "--http", "--port", "0", "--http-auth", "runpod-key"],
    {
      cwd: root,
      logDir,
      name: "ours",
      env: {
        ...toolchainEnv(),
        RUNPOD_API_BASE_URL: simUrl,
        RUNPOD_SERVERLESS_API_URL: `${simUrl}/v2`,
        RUNPOD_GRAPHQL_URL: `${simUrl}/graphql`,
        RUNPOD_MCP_CONFIRM: "never",
        RUNPOD_MCP_RATE_LIMIT: "1000000",
        RUNPOD_MCP_MAX_HOURLY_COST: "100",
      },
    },
  );
  const line = await proc.waitForLine(
    "stderr",
    /serving MCP over Streamable HTTP url=/,
    SERVER_START_TIMEOUT_MS,
  ).catch(async (error) => {
    await proc.stop();
    throw error;
  });
  const url = /url=(\S+)/.exec(line)![1]!;
  return { url, pid: proc.pid, logDir, stop: () => proc.stop() };
}

async function startOfficial(
  simUrl: string,
  prefix: string,
  logDir: string,
): Promise<ServerProcess> {
  const host = new URL("./official_http_host.mjs", import.meta.url).pathname;
  const proc = spawnLogged("node", [host, prefix], {
    cwd: prefix,
    logDir,
    name: "official",
    env: {
      ...toolchainEnv(),
      // Without it, every request first verifies the bearer with a GraphQL call to RunPod.
      MCP_SKIP_CREDENTIAL_CHECK: "true",
      RUNPOD_API_BASE_URL: simUrl,
      RUNPOD_SERVERLESS_API_URL: `${simUrl}/v2`,
      RUNPOD_AUTHED_GRAPHQL_URL: `${simUrl}/graphql`,
      RUNPOD_PUBLIC_GRAPHQL_URL: `${simUrl}/graphql`,
    },
  });
  const line = await proc.waitForLine(
    "stderr",
    /official host listening port=\d+/,
    SERVER_START_TIMEOUT_MS,
  ).catch(async (error) => {
    await proc.stop();
    throw error;
  });
  const port = /port=(\d+)/.exec(line)![1]!;
  return { url: `http://127.0.0.1:${port}/mcp`, pid: proc.pid, logDir, stop: () => proc.stop() };
}

/** One virtual client and the pod it created in the current cycle, if any. */
interface VirtualUser {
  index: number;
  session: McpHttpSession;
  seededPodId: string;
  ownPodId?: string;
  created: number;
  /** Index of the next step in {@linkcode CYCLE}, counting from the first call. */
  position: number;
}

/** Decides whether a client may make another call in the current phase. */
type Budget = () => boolean;

function argsFor(flavor: Flavor, vu: VirtualUser, step: Step): Args {
  switch (step) {
    case "list_pods":
      return flavor.args.list();
    case "get_pod":
      return flavor.args.get(vu.seededPodId);
    case "create_pod":
      return flavor.args.create(`bench-${vu.index}-${vu.created++}`);
    case "get_own_pod":
      return flavor.args.get(vu.ownPodId!);
    case "stop_pod":
      return flavor.args.stop(vu.ownPodId!);
    case "delete_pod":
      return flavor.args.delete(vu.ownPodId!);
  }
}

async function runStep(flavor: Flavor, vu: VirtualUser, step: Step, stats: LoadStats) {
  const started = performance.now();
  const outcome = await vu.session.callTool(flavor.tool[step], argsFor(flavor, vu, step));
  const ms = performance.now() - started;
  let failure: Failure | undefined = outcome.failure;
  if (!failure && step === "create_pod") {
    vu.ownPodId = flavor.createdPodId(outcome.result!);
    if (!vu.ownPodId) {
      failure = { kind: "shape", detail: JSON.stringify(outcome.result).slice(0, 300) };
    }
  }
  // A failed stop leaves the pod in place, so the cycle still deletes it.
  if (step === "delete_pod" || (step === "create_pod" && failure)) vu.ownPodId = undefined;
  stats.record(step, ms, failure, outcome.bytes);
}

/**
 * Runs the cycle until the budget says stop. The position in the cycle carries over from one
 * phase to the next, so a pod created in the warm-up is still stopped and deleted, and the
 * number of pods on the account stays the same for both servers.
 */
async function drive(flavor: Flavor, vu: VirtualUser, stats: LoadStats, budget: Budget) {
  for (;;) {
    const step = CYCLE[vu.position % CYCLE.length]!;
    if (NEEDS_OWN_POD.has(step) && !vu.ownPodId) {
      vu.position++;
      continue;
    }
    if (!budget()) return;
    vu.position++;
    await runStep(flavor, vu, step, stats);
  }
}

function budgetFor(options: Options, seconds: number, counted: boolean): () => Budget {
  if (counted && options.calls !== undefined) {
    const calls = options.calls;
    return () => {
      let left = calls;
      return () => left-- > 0;
    };
  }
  const deadline = performance.now() + seconds * 1000;
  return () => () => performance.now() < deadline;
}

/** Initializes every client and checks that the server offers every tool the scenario uses. */
async function connectClients(
  flavor: Flavor,
  server: ServerProcess,
  sim: SimHandle,
  options: Options,
  client: Deno.HttpClient,
): Promise<{ users: VirtualUser[]; init: StatsSummary; protocolVersion: string; tools: number }> {
  const init = new LoadStats();
  const users = await Promise.all(
    Array.from({ length: options.clients }, async (_, index): Promise<VirtualUser> => {
      const session = new McpHttpSession({ url: server.url, bearer: API_KEY, client });
      const started = performance.now();
      const outcome = await session.initialize(`http-load-${index}`);
      init.record("initialize", performance.now() - started, outcome.failure);
      const seededPodId = sim.seededPodIds[index % sim.seededPodIds.length]!;
      return { index, session, seededPodId, created: 0, position: 0 };
    }),
  );
  const listed: RpcOutcome = await users[0]!.session.request("tools/list", {});
  const names = new Set(
    ((listed.result?.tools ?? []) as { name: string }[]).map((tool) => tool.name),
  );
  const missing = Object.values(flavor.tool).filter((name) => !names.has(name));
  if (missing.length > 0) {
    throw new Error(
      `Cannot run the scenario on ${flavor.label}: tools/list lacks ${missing.join(", ")}${
        listed.failure ? ` (${listed.failure.detail})` : ""
      }`,
    );
  }
  const protocolVersion = users[0]!.session.protocolVersion ?? "?";
  return { users, init: init.summary(), protocolVersion, tools: names.size };
}

/** What one server did under load. */
interface ServerResult {
  id: ServerId;
  label: string;
  protocolVersion: string;
  tools: number;
  clients: number;
  seconds: number;
  callsPerSecond: number;
  stats: StatsSummary;
  init: StatsSummary;
  idleRssBytes: number;
  peakRssBytes: number;
  /** RSS when the measured phase ended. */
  endRssBytes: number;
  /** RSS once a second during the measured phase, MB. */
  rssSamplesMb: number[];
  /** Mean number of pods on the account during the measured phase. */
  meanPods: number;
  /** Server CPU during the measured phase, as a share of one core (1 = 100 %). */
  serverCpuCores: number;
  /** This bench process's CPU (load generator + simulator) in the same phase. */
  benchCpuCores: number;
  /** CPU every other process on the machine took in the same phase (noise). */
  otherCpuCores: number;
  /** Which round this was, from 1. */
  round: number;
  upstream: UpstreamTally;
  logDir: string;
}

/** CPU and memory readings around the measured phase, and samples taken during it. */
interface PhaseReadings {
  seconds: number;
  stats: StatsSummary;
  server: [ProcReading, ProcReading];
  bench: [ProcReading, ProcReading];
  /** CPU seconds of the whole machine, before and after. */
  system: [number, number];
  rssSamplesMb: number[];
  podSamples: number[];
}

function readAll(pid: number) {
  return Promise.all([readProc(pid), readProc("self"), readSystemCpuSeconds()]);
}

/** The measured phase: every client runs its budget while RSS and pods are sampled each second. */
async function measuredPhase(
  flavor: Flavor,
  users: VirtualUser[],
  server: ServerProcess,
  sim: SimHandle,
  options: Options,
): Promise<PhaseReadings> {
  sim.resetTally();
  const stats = new LoadStats();
  const before = await readAll(server.pid);
  const rssSamplesMb: number[] = [];
  const podSamples: number[] = [];
  const sampler = setInterval(() => {
    podSamples.push(sim.pods());
    readProc(server.pid).then((p) => rssSamplesMb.push(Math.round(p.rssBytes / MB)), () => {});
  }, 1000);
  const budget = budgetFor(options, options.duration, true);
  const started = performance.now();
  await Promise.all(users.map((vu) => drive(flavor, vu, stats, budget())));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const after = await readAll(server.pid);
  return {
    seconds,
    stats: stats.summary(),
    server: [before[0], after[0]],
    bench: [before[1], after[1]],
    system: [before[2], after[2]],
    rssSamplesMb,
    podSamples,
  };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Connects, warms up, measures: one server's whole run against its simulator. */
async function measure(
  flavor: Flavor,
  server: ServerProcess,
  sim: SimHandle,
  options: Options,
): Promise<ServerResult> {
  const client = Deno.createHttpClient({});
  try {
    const idle = await readProc(server.pid);
    const conn = await connectClients(flavor, server, sim, options, client);
    if (options.warmup > 0) {
      const budget = budgetFor(options, options.warmup, false);
      const sink = new LoadStats();
      await Promise.all(conn.users.map((vu) => drive(flavor, vu, sink, budget())));
    }
    const phase = await measuredPhase(flavor, conn.users, server, sim, options);
    const cores = ([a, b]: [ProcReading, ProcReading]) =>
      (b.cpuSeconds - a.cpuSeconds) / phase.seconds;
    const machine = (phase.system[1] - phase.system[0]) / phase.seconds;
    return {
      id: flavor.id,
      label: flavor.label,
      protocolVersion: conn.protocolVersion,
      tools: conn.tools,
      clients: options.clients,
      seconds: phase.seconds,
      callsPerSecond: phase.stats.calls / phase.seconds,
      stats: phase.stats,
      init: conn.init,
      idleRssBytes: idle.rssBytes,
      peakRssBytes: phase.server[1].peakRssBytes,
      endRssBytes: phase.server[1].rssBytes,
      rssSamplesMb: phase.rssSamplesMb,
      meanPods: phase.podSamples.length > 0 ? mean(phase.podSamples) : sim.pods(),
      serverCpuCores: cores(phase.server),
      benchCpuCores: cores(phase.bench),
      otherCpuCores: Math.max(0, machine - cores(phase.server) - cores(phase.bench)),
      round: 0,
      upstream: sim.tally(),
      logDir: server.logDir,
    };
  } finally {
    client.close();
  }
}

async function runServer(
  flavor: Flavor,
  options: Options,
  logDir: string,
): Promise<{ result: ServerResult; seeded: string[] }> {
  const sim = await startSimulator(options.seedPods);
  try {
    const server = flavor.id === "ours"
      ? await startOurs(sim.url, options.oursRoot, logDir)
      : await startOfficial(sim.url, options.officialDir, logDir);
    try {
      console.error(`measuring ${flavor.label} at ${server.url} (pid ${server.pid})`);
      return { result: await measure(flavor, server, sim, options), seeded: sim.seededPodIds };
    } finally {
      await server.stop();
    }
  } finally {
    await sim.close();
  }
}

const fmt = (n: number, digits = 1) =>
  Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits }) : "-";
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? a / b : NaN;

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
}

/** The plain table on stdout. */
function table(ours: ServerResult | undefined, official: ServerResult | undefined): string {
  const val = (r: ServerResult | undefined, f: (r: ServerResult) => string) => (r ? f(r) : "-");
  const rows: [string, (r: ServerResult) => string, string][] = [
    ["tool calls", (r) => fmt(r.stats.calls, 0), ""],
    ["throughput (calls/s)", (r) => fmt(r.callsPerSecond), fmtRatio(ours, official, "tp")],
    ["latency p50 (ms)", (r) => fmt(r.stats.p50Ms, 2), ""],
    ["latency p99 (ms)", (r) => fmt(r.stats.p99Ms, 2), ""],
    ["errors", (r) => fmt(r.stats.errors, 0), ""],
    ["init errors", (r) => fmt(r.init.errors, 0), ""],
    ["peak RSS (MB)", (r) => fmt(r.peakRssBytes / MB), fmtRatio(ours, official, "rss")],
    ["RSS after start (MB)", (r) => fmt(r.idleRssBytes / MB), ""],
    ["RSS at end (MB)", (r) => fmt(r.endRssBytes / MB), ""],
    ["server CPU (cores)", (r) => fmt(r.serverCpuCores, 2), ""],
    ["bench CPU (cores)", (r) => fmt(r.benchCpuCores, 2), ""],
    ["other CPU (cores)", (r) => fmt(r.otherCpuCores, 2), ""],
    ["upstream req/call", (r) => fmt(r.upstream.requests / Math.max(1, r.stats.calls), 2), ""],
    ["upstream non-2xx", (r) => fmt(r.upstream.non2xx, 0), ""],
    ["answer KB/call", (r) => fmt(r.stats.meanBytes / 1024, 2), ""],
    ["pods on account (mean)", (r) => fmt(r.meanPods, 0), ""],
  ];
  const widths = [22, 14, 14, 14];
  const lines = [row(["", "ours", "official", "ours/official"], widths)];
  for (const [name, f, r] of rows) {
    lines.push(row([name, val(ours, f), val(official, f), r], widths));
  }
  return lines.join("\n");
}

function fmtRatio(ours?: ServerResult, official?: ServerResult, what: "tp" | "rss" = "tp") {
  const r = what === "tp"
    ? ratio(ours?.callsPerSecond, official?.callsPerSecond)
    : ratio(ours?.peakRssBytes, official?.peakRssBytes);
  return Number.isFinite(r) ? `${r.toFixed(2)}x` : "-";
}

function perStepTable(results: ServerResult[]): string {
  const widths = [10, 12, 14, 10, 10, 8, 10];
  const header = ["server", "step", "tool", "p50 ms", "p99 ms", "errors", "KB/answer"];
  const lines = [row(header, widths)];
  for (const r of results) {
    const flavor = r.id === "ours" ? OURS : OFFICIAL;
    for (const step of Object.keys(flavor.tool) as Step[]) {
      const s = r.stats.perStep[step];
      if (!s) continue;
      const cells = [r.id, step, flavor.tool[step], fmt(s.p50Ms, 2), fmt(s.p99Ms, 2)];
      lines.push(row([...cells, fmt(s.errors, 0), fmt(s.meanBytes / 1024, 2)], widths));
    }
  }
  return lines.join("\n");
}

function examples(r: ServerResult): string {
  const all = [...r.init.examples, ...r.stats.examples];
  if (all.length === 0) return "";
  return `\nerror examples (${r.id}, round ${r.round}):\n` +
    all.map((e) => `  [${e.kind}] ${e.tool ?? ""}: ${e.detail}`).join("\n");
}

function report(
  options: Options,
  results: ServerResult[],
  rounds: ServerResult[],
  meta: Record<string, unknown>,
) {
  const ours = results.find((r) => r.id === "ours");
  const official = results.find((r) => r.id === "official");
  const load = options.calls !== undefined
    ? `${options.calls} calls per client`
    : `${options.duration} s per server`;
  console.log(
    `\nHTTP load: ${options.clients} clients, ${load}, warm-up ${options.warmup} s, ` +
      `protocol ${results.map((r) => `${r.id}=${r.protocolVersion}`).join(" ")}, ` +
      `${options.seedPods} seeded pods\n`,
  );
  if (options.rounds > 1) {
    for (const id of ["ours", "official"] as const) {
      const list = rounds.filter((r) => r.id === id).map((r) => fmt(r.callsPerSecond));
      if (list.length > 0) console.log(`${id}: calls/s per round ${list.join(", ")}`);
    }
    console.log("(the table shows each server's median round)\n");
  }
  console.log(table(ours, official));
  console.log(`\n${perStepTable(results)}`);
  for (const r of rounds) {
    const text = examples(r);
    if (text) console.log(text);
  }
  const throughputRatio = ratio(ours?.callsPerSecond, official?.callsPerSecond);
  const errors = oursErrors(rounds);
  const goalMet = ours !== undefined && official !== undefined && throughputRatio >= 2 &&
    errors === 0;
  if (ours && official) {
    console.log(
      `\ngoal (>= 2x the official throughput, 0 errors): ${goalMet ? "met" : "NOT met"} ` +
        `(${fmt(throughputRatio, 2)}x, ${errors} errors from ours in ${options.rounds} round(s))`,
    );
  }
  if (rounds.some((r) => r.upstream.incomplete)) {
    console.log("note: the simulator's request log overflowed; upstream counts are lower bounds");
  }
  console.log(`server logs: ${rounds[0]?.logDir.replace(/\/round-\d+$/, "") ?? "-"}`);
  return {
    ...meta,
    options,
    results,
    rounds,
    ratios: {
      throughput: throughputRatio,
      peakRss: ratio(ours?.peakRssBytes, official?.peakRssBytes),
    },
    goal: { minThroughputRatio: 2, maxErrors: 0, met: goalMet },
  };
}

/** The round with the median throughput: one real run, so its figures belong together. */
function medianRound(rounds: ServerResult[]): ServerResult | undefined {
  const sorted = [...rounds].sort((a, b) => a.callsPerSecond - b.callsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

async function runRounds(options: Options, flavors: Flavor[], logDir: string) {
  const rounds: ServerResult[] = [];
  const seeds = new Set<string>();
  for (let round = 1; round <= options.rounds; round++) {
    // Alternating the order spreads whatever drifts over time (other load, heat) over both.
    const order = round % 2 === 1 ? flavors : [...flavors].reverse();
    const roundDir = `${logDir}/round-${round}`;
    await Deno.mkdir(roundDir);
    for (const flavor of order) {
      const { result, seeded } = await runServer(flavor, options, roundDir);
      rounds.push({ ...result, round });
      seeds.add(JSON.stringify(seeded));
    }
  }
  if (seeds.size > 1) console.error("warning: the simulators were seeded with different pod ids");
  return rounds;
}

async function main() {
  const options = parseOptions(Deno.args);
  const logDir = await Deno.makeTempDir({ prefix: "runpod-mcp-http-load-" });
  const flavors = [OURS, OFFICIAL].filter((f) => !options.only || f.id === options.only);
  const installed = flavors.includes(OFFICIAL)
    ? await installOfficial(options.officialDir)
    : undefined;
  const official = installed
    ? { version: installed.manifest.version, sdkVersion: installed.sdkVersion }
    : undefined;
  const rounds = await runRounds(options, flavors, logDir);
  const results = flavors.map((f) => medianRound(rounds.filter((r) => r.id === f.id))!);
  const meta = {
    date: new Date().toISOString(),
    protocolRequested: PROTOCOL_VERSION,
    deno: Deno.version.deno,
    node: flavors.includes(OFFICIAL) ? await nodeVersion() : undefined,
    official,
    cpus: navigator.hardwareConcurrency,
    cycle: CYCLE,
    mapping: Object.fromEntries(
      (Object.keys(OURS.tool) as Step[]).map((
        s,
      ) => [s, { ours: OURS.tool[s], official: OFFICIAL.tool[s] }]),
    ),
  };
  const json = report(options, results, rounds, meta);
  if (options.json) await Deno.writeTextFile(options.json, JSON.stringify(json, null, 2) + "\n");
  if (oursErrors(rounds) > 0) Deno.exit(1);
}

/** Errors our server gave in every round, initialization included. */
function oursErrors(rounds: ServerResult[]): number {
  return rounds.filter((r) => r.id === "ours")
    .reduce((sum, r) => sum + r.stats.errors + r.init.errors, 0);
}

async function nodeVersion(): Promise<string> {
  const { stdout } = await new Deno.Command("node", { args: ["--version"], stdout: "piped" })
    .output();
  return new TextDecoder().decode(stdout).trim();
}

if (import.meta.main) await main();
