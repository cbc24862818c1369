/**
 * Side-by-side measurement over stdio: this server (`deno run main.ts`, and its `deno bundle`
 * output) against the official RunPod MCP server (`@runpod/mcp-server@4.0.0`, `node` of its stdio
 * bin), in the same run, in interleaved rounds, all pointed at ONE RunPod simulator with a fixed
 * seed and five seeded pods. It reports cold start, `tools/list` time and size, the overhead of
 * one `list_pods` call above a direct `GET /v2/pods`, RSS after 200 calls, result sizes and
 * upstream requests per call, with medians over rounds and ratios against the official server.
 *
 * Full run: `deno run -A bench/compare.ts --json compare.json` (5 rounds, a few minutes)
 * Smoke run: `deno run -A bench/compare.ts --quick`
 * It needs `-A`: Deno grants reading another process's `/proc/<pid>/status` only with all access.
 * The first run installs the official server with npm into `$TMPDIR`, so it needs the registry.
 * HTTP throughput is measured by `bench/http_load.ts`, not here.
 *
 * Figures are reported, and asserted only with `--budget` (what `.ci/run` passes): each ratio
 * then has a ceiling well past its goal, and the run exits 1 when one is crossed. Ratios in one
 * run on one machine are steady enough for that; absolute times are not, so none is budgeted.
 * The exit code is also 1 when a server failed a call.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { RunpodSimulator } from "../src/sandbox/mod.ts";
import { bundleArgs, compilePermissionFlags, toolchainEnv } from "../tests/_spawn.ts";
import {
  BENCH_GPU_TYPE,
  BENCH_IMAGE,
  installOfficial,
  MB,
  OFFICIAL_PACKAGE,
  OFFICIAL_VERSION,
  percentile,
  readProc,
  seedPods,
} from "./_load.ts";
import { spawnStdioSession, type StdioOutcome } from "./_stdio.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const API_KEY = "rpa_COMPAREBENCH0123456789abcdef";
const SIM_SEED = 7;
const SEED_PODS = 5;
/**
 * The simulator runs on a manual clock and enforces RunPod's 600 requests a minute; moving it
 * 200 ms before every call that reaches it keeps any loop at 300 a minute.
 */
const PACE_MS = 200;
/** RunPod's longest rate window short of a day, ms. */
const RATE_HOUR_MS = 3_600_000;
const encoder = new TextEncoder();

type ServerId = "official" | "ours" | "bundle";
type ReadTool = "list_pods" | "get_pod" | "list_gpu_types";
type Args = Record<string, unknown>;

/** How to start one server and how it names the read tools. */
interface Flavor {
  id: ServerId;
  label: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  tool: Record<ReadTool, string>;
  argsFor(tool: ReadTool, podId: string): Args;
}

interface Options {
  rounds: number;
  quick: boolean;
  /** `tools/list` repeats after the first. */
  toolsListRepeats: number;
  /** Paired `GET /v2/pods` + `list_pods` samples for the overhead. */
  overheadCalls: number;
  /** Calls (list_pods / get_pod) before RSS is read. */
  rssCalls: number;
  json?: string;
  officialDir: string;
  /** Exit 1 when a ratio crosses its row's budget. */
  budget: boolean;
  /** Rewrite the README's performance section from this run. */
  readme: boolean;
}

const HELP = `Usage: deno run -A bench/compare.ts [options]

Stdio side by side: runpod-mcp (deno run, deno bundle) against ${OFFICIAL_PACKAGE}@${OFFICIAL_VERSION}.

  --rounds N        interleaved rounds; medians over rounds are reported (default 5)
  --quick           smoke run for CI: 2 rounds, fewer repeats and calls (RSS after 50 calls)
  --official-dir D  npm prefix for the official server (default $TMPDIR/runpod-mcp-bench-official-${OFFICIAL_VERSION})
  --json PATH       also write every figure as JSON
  --budget          exit 1 when a ratio crosses its budget (a ceiling well past the goal; CI)
  --readme          rewrite README.md's performance section from this run (ratios for times)
`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: "string" },
      quick: { type: "boolean", default: false },
      "official-dir": { type: "string" },
      json: { type: "string" },
      budget: { type: "boolean", default: false },
      readme: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const quick = values.quick;
  const rounds = values.rounds === undefined ? (quick ? 2 : 5) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new Error("Cannot run: --rounds must be a whole number >= 1");
  }
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  return {
    rounds,
    quick,
    toolsListRepeats: quick ? 5 : 20,
    overheadCalls: quick ? 10 : 50,
    rssCalls: quick ? 50 : 200,
    ...(values.json ? { json: values.json } : {}),
    officialDir: values["official-dir"] ?? `${tmp}/runpod-mcp-bench-official-${OFFICIAL_VERSION}`,
    budget: values.budget,
    readme: values.readme,
  };
}

// ---------------------------------------------------------------------------------------------
// Setup: the official package, the bundle, the simulator

/** Installs the official server and returns the path of its stdio bin, from its package.json. */
async function officialBin(prefix: string): Promise<{ bin: string; sdkVersion: string }> {
  const { dir, manifest, sdkVersion } = await installOfficial(prefix);
  const bins = manifest.bin as string | Record<string, string> | undefined;
  const bin = typeof bins === "string" ? bins : bins?.["runpod-mcp"];
  if (typeof bin !== "string") {
    throw new Error(`Cannot start ${OFFICIAL_PACKAGE}: its package.json names no runpod-mcp bin`);
  }
  return { bin: `${dir}/${bin}`, sdkVersion };
}

/** `deno bundle` of main.ts into a temp folder, minified as the compile task is. */
async function bundle(dir: string): Promise<string> {
  const file = `${dir}/runpod-mcp.js`;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: await bundleArgs(file),
    cwd: ROOT,
    env: { NO_COLOR: "1", ...toolchainEnv() },
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `Cannot bundle main.ts: deno exited ${code}:\n${new TextDecoder().decode(stderr)}`,
    );
  }
  return file;
}

interface Sim {
  sim: RunpodSimulator;
  url: string;
  podIds: string[];
  close(): Promise<void>;
}

async function startSimulator(): Promise<Sim> {
  // A balance no run drains: each round moves the clock an hour, and five pods bill all along.
  const sim = new RunpodSimulator({ apiKey: API_KEY, seed: SIM_SEED, balance: 1_000_000 });
  const { url, close } = await sim.listen();
  const podIds = await seedPods(url, {
    apiKey: API_KEY,
    count: SEED_PODS,
    image: BENCH_IMAGE,
    gpuType: BENCH_GPU_TYPE,
    before: () => sim.advance(PACE_MS),
  });
  // Past the boot time, so every seeded pod is RUNNING before anything is measured.
  sim.advance(120_000);
  sim.clearRequests();
  return { sim, url, podIds, close };
}

// ---------------------------------------------------------------------------------------------
// The three servers

const OURS_TOOLS: Record<ReadTool, string> = {
  list_pods: "list_pods",
  get_pod: "get_pod",
  list_gpu_types: "list_gpu_types",
};
const oursArgs = (tool: ReadTool, podId: string): Args =>
  tool === "get_pod" ? { pod_id: podId } : {};

/** The compile task's flags, with `--allow-net` widened to the simulator's address. */
async function oursFlags(simUrl: string): Promise<string[]> {
  const host = new URL(simUrl).host;
  return (await compilePermissionFlags()).map((flag) =>
    flag.startsWith("--allow-net=") ? `${flag},${host}` : flag
  );
}

function oursEnv(simUrl: string): Record<string, string> {
  return {
    NO_COLOR: "1",
    ...toolchainEnv(),
    RUNPOD_API_KEY: API_KEY,
    RUNPOD_API_BASE_URL: simUrl,
    RUNPOD_SERVERLESS_API_URL: `${simUrl}/v2`,
    RUNPOD_GRAPHQL_URL: `${simUrl}/graphql`,
  };
}

async function flavors(simUrl: string, bundleFile: string, officialBin: string, prefix: string) {
  const flags = await oursFlags(simUrl);
  const official: Flavor = {
    id: "official",
    label: `${OFFICIAL_PACKAGE}@${OFFICIAL_VERSION} (node)`,
    command: "node",
    args: [officialBin],
    cwd: prefix,
    // The names the package reads (dist/chunk-*.mjs, src/_shared/hosts.ts): RUNPOD_API_BASE_URL
    // for REST (it appends /v2/…), RUNPOD_SERVERLESS_API_URL, and two GraphQL URLs.
    env: {
      ...toolchainEnv(),
      RUNPOD_API_KEY: API_KEY,
      RUNPOD_API_BASE_URL: simUrl,
      RUNPOD_SERVERLESS_API_URL: `${simUrl}/v2`,
      RUNPOD_AUTHED_GRAPHQL_URL: `${simUrl}/graphql`,
      RUNPOD_PUBLIC_GRAPHQL_URL: `${simUrl}/graphql`,
    },
    tool: { list_pods: "list-pods", get_pod: "get-pod", list_gpu_types: "list-gpu-types" },
    argsFor: (tool, podId) => tool === "get_pod" ? { id: podId } : {},
  };
  const ours: Flavor = {
    id: "ours",
    label: "runpod-mcp, deno run main.ts",
    command: Deno.execPath(),
    args: ["run", ...flags, "main.ts"],
    cwd: ROOT,
    env: oursEnv(simUrl),
    tool: OURS_TOOLS,
    argsFor: oursArgs,
  };
  const bundled: Flavor = {
    id: "bundle",
    label: "runpod-mcp, deno run of the deno bundle output",
    command: Deno.execPath(),
    args: ["run", "--no-config", "--no-lock", ...flags, bundleFile],
    cwd: ROOT,
    env: oursEnv(simUrl),
    tool: OURS_TOOLS,
    argsFor: oursArgs,
  };
  return [official, ours, bundled];
}

// ---------------------------------------------------------------------------------------------
// One round of one server

interface ToolFigures {
  resultBytes: number;
  wireBytes: number;
  upstream: number;
}

/** Every figure one server gave in one round. */
interface RoundResult {
  id: ServerId;
  round: number;
  coldStartMs: number;
  initializeMs: number;
  toolsListFirstMs: number;
  toolsListMedianMs: number;
  /** Median round trip of `ping` over stdio: the transport's share of every call. */
  pingMedianMs: number;
  tools: number;
  toolsListWireBytes: number;
  /** Sum over tools of name + description + JSON.stringify(inputSchema), bytes. */
  toolsListModelBytes: number;
  protocolVersion: string;
  directGetMedianMs: number;
  listPodsMedianMs: number;
  listPodsOverheadMs: number;
  /** The overhead less a `ping`'s stdio round trip: the server's own work on the call. */
  listPodsServerMs: number;
  rssAfterCallsBytes: number;
  peakRssBytes: number;
  rssAfterStartBytes: number;
  upstreamPerCallInMix: number;
  tool: Record<ReadTool, ToolFigures>;
  errors: string[];
}

const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 0.5);
const bytesOf = (value: unknown) => encoder.encode(JSON.stringify(value)).byteLength;
const round3 = (n: number) => Math.round(n * 1000) / 1000;

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await f();
  return [value, performance.now() - started];
}

/** Records a failed call. */
function check(errors: string[], step: string, outcome: StdioOutcome): StdioOutcome {
  if (outcome.error) errors.push(`${step}: ${outcome.error}`);
  return outcome;
}

async function measureRound(
  flavor: Flavor,
  round: number,
  sim: Sim,
  options: Options,
  logDir: string,
  http: Deno.HttpClient,
): Promise<RoundResult> {
  const errors: string[] = [];
  // Every round starts with RunPod's rate windows empty (the simulator enforces 6,000 requests an
  // hour): a long run would otherwise hit 429s, which a server rightly waits out.
  sim.sim.advance(RATE_HOUR_MS);
  // 1. Cold start: spawn → initialize → tools/list answered.
  const started = performance.now();
  const session = spawnStdioSession(flavor.command, flavor.args, {
    cwd: flavor.cwd,
    env: flavor.env,
    logDir,
    name: `${flavor.id}-round-${round}`,
  });
  try {
    const init = check(errors, "initialize", await session.initialize("runpod-mcp-compare"));
    const initializeMs = performance.now() - started;
    const [listed, toolsListFirstMs] = await timed(() => session.request("tools/list", {}));
    const coldStartMs = performance.now() - started;
    check(errors, "tools/list", listed);
    if (!init.result || !listed.result) {
      const log = await Deno.readTextFile(session.stderrPath).catch(() => "");
      throw new Error(`Cannot start ${flavor.label}: ${errors.join("; ")}\n${log}`);
    }
    const rssAfterStartBytes = (await readProc(session.pid)).rssBytes;
    const tools = (listed.result.tools ?? []) as {
      name: string;
      description?: string;
      inputSchema?: unknown;
    }[];
    const missing = Object.values(flavor.tool).filter((n) => !tools.some((t) => t.name === n));
    if (missing.length > 0) {
      throw new Error(`Cannot measure ${flavor.label}: tools/list lacks ${missing.join(", ")}`);
    }
    const toolsListModelBytes = tools.reduce(
      (sum, t) => sum + bytesOf(t.name) + bytesOf(t.description ?? "") + bytesOf(t.inputSchema),
      0,
    );

    // 2. tools/list repeated.
    // …and `ping`, the stdio round trip with no work, to read the overhead against.
    const listMs: number[] = [];
    const pingMs: number[] = [];
    for (let i = 0; i < options.toolsListRepeats; i++) {
      const [outcome, ms] = await timed(() => session.request("tools/list", {}));
      check(errors, "tools/list", outcome);
      listMs.push(ms);
      const [pong, rtt] = await timed(() => session.request("ping", {}));
      check(errors, "ping", pong);
      pingMs.push(rtt);
    }

    // 5, 7, 8. Result bytes and upstream requests of each read tool (one call each, first use
    // of the tool; a warm call follows in the overhead loop).
    const tool = {} as Record<ReadTool, ToolFigures>;
    for (const name of ["list_pods", "get_pod", "list_gpu_types"] as ReadTool[]) {
      sim.sim.advance(PACE_MS);
      sim.sim.clearRequests();
      const outcome = check(
        errors,
        name,
        await session.callTool(flavor.tool[name], flavor.argsFor(name, sim.podIds[0]!)),
      );
      tool[name] = {
        resultBytes: outcome.resultBytes,
        wireBytes: outcome.wireBytes,
        upstream: sim.sim.requests.length,
      };
    }

    // 3. list_pods above a direct GET /v2/pods, interleaved pairs after a short warm-up.
    const warmup = 5;
    const getMs: number[] = [];
    const callMs: number[] = [];
    for (let i = 0; i < warmup + options.overheadCalls && errors.length === 0; i++) {
      sim.sim.advance(PACE_MS);
      const [, get] = await timed(async () => {
        const response = await fetch(`${sim.url}/v2/pods`, {
          headers: { authorization: `Bearer ${API_KEY}` },
          client: http,
        });
        await response.arrayBuffer();
        if (response.status !== 200) errors.push(`GET /v2/pods: ${response.status}`);
      });
      sim.sim.advance(PACE_MS);
      const [outcome, call] = await timed(() =>
        session.callTool(flavor.tool.list_pods, flavor.argsFor("list_pods", ""))
      );
      check(errors, "list_pods", outcome);
      if (i >= warmup) {
        getMs.push(get);
        callMs.push(call);
      }
    }

    // 4. RSS after a list_pods / get_pod mix (the calls above are not counted).
    sim.sim.clearRequests();
    // A failed call makes the round's figures meaningless: stop at the first (it is reported).
    for (let i = 0; i < options.rssCalls && errors.length === 0; i++) {
      sim.sim.advance(PACE_MS);
      const name: ReadTool = i % 2 === 0 ? "list_pods" : "get_pod";
      const podId = sim.podIds[i % sim.podIds.length]!;
      check(errors, name, await session.callTool(flavor.tool[name], flavor.argsFor(name, podId)));
    }
    const upstreamPerCallInMix = sim.sim.requests.length / options.rssCalls;
    sim.sim.clearRequests();
    const proc = await readProc(session.pid);

    if (session.stray.length > 0) errors.push(`non-protocol stdout: ${session.stray[0]}`);
    return {
      id: flavor.id,
      round,
      coldStartMs,
      initializeMs,
      toolsListFirstMs,
      toolsListMedianMs: median(listMs),
      pingMedianMs: median(pingMs),
      tools: tools.length,
      toolsListWireBytes: listed.wireBytes,
      toolsListModelBytes,
      protocolVersion: String(init.result.protocolVersion),
      directGetMedianMs: median(getMs),
      listPodsMedianMs: median(callMs),
      listPodsOverheadMs: median(callMs) - median(getMs),
      listPodsServerMs: median(callMs) - median(getMs) - median(pingMs),
      rssAfterCallsBytes: proc.rssBytes,
      peakRssBytes: proc.peakRssBytes,
      rssAfterStartBytes,
      upstreamPerCallInMix,
      tool,
      errors,
    };
  } finally {
    await session.stop();
  }
}

/** Starts a server, lists its tools and stops it; nothing is measured. */
async function warmUp(flavor: Flavor, logDir: string): Promise<void> {
  const session = spawnStdioSession(flavor.command, flavor.args, {
    cwd: flavor.cwd,
    env: flavor.env,
    logDir,
    name: `${flavor.id}-warm-up`,
  });
  try {
    const init = await session.initialize("runpod-mcp-compare");
    const listed = init.result ? await session.request("tools/list", {}) : init;
    if (!listed.result) {
      const log = await Deno.readTextFile(session.stderrPath).catch(() => "");
      throw new Error(`Cannot start ${flavor.label}: ${listed.error}\n${log}`);
    }
  } finally {
    await session.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

/** Medians over rounds of every numeric figure, per server. */
type Summary = Record<string, number>;

function flatten(result: RoundResult): Summary {
  const out: Summary = {};
  for (const [key, value] of Object.entries(result)) {
    if (typeof value === "number" && key !== "round") out[key] = value;
  }
  for (const [name, figures] of Object.entries(result.tool)) {
    for (const [key, value] of Object.entries(figures)) out[`${name}.${key}`] = value;
  }
  return out;
}

function summarize(rounds: RoundResult[]): Summary {
  const flat = rounds.map(flatten);
  const summary: Summary = {};
  for (const key of Object.keys(flat[0] ?? {})) {
    summary[key] = round3(median(flat.map((f) => f[key]!)));
  }
  return summary;
}

/** A goal: a ratio against the official server, or an absolute bound, for ours and the bundle. */
interface Goal {
  text: string;
  /** Whether a server's value (and its ratio to official) meets the goal. */
  met(server: "ours" | "bundle", value: number, ratio: number): boolean;
}

interface Row {
  name: string;
  key: string;
  digits: number;
  scale?: number;
  goal?: Goal;
  /**
   * The ceiling for ours/official and bundle/official that `--budget` enforces: well past the
   * goal, so only a real regression crosses it, not the noise of a shared machine.
   */
  budget?: number;
}

const ratioGoal = (ours: number, bundled = ours): Goal => ({
  text: ours === bundled ? `<= ${ours}x` : `<= ${ours}x run, <= ${bundled}x bundle`,
  met: (server, _value, ratio) => ratio <= (server === "ours" ? ours : bundled),
});
const absoluteGoal = (max: number, unit: string): Goal => ({
  text: `<= ${max} ${unit}`,
  met: (_server, value) => value <= max,
});

const ROWS: Row[] = [
  {
    name: "cold start: spawn → tools/list (ms)",
    key: "coldStartMs",
    digits: 0,
    goal: ratioGoal(0.75, 0.45),
    budget: 1.6,
  },
  { name: "  of which initialize answered (ms)", key: "initializeMs", digits: 0 },
  { name: "tools/list, first call (ms)", key: "toolsListFirstMs", digits: 2, budget: 3 },
  {
    name: "tools/list, median of repeats (ms)",
    key: "toolsListMedianMs",
    digits: 2,
    goal: absoluteGoal(5, "ms"),
    budget: 2,
  },
  {
    name: "list_pods overhead over GET (ms)",
    key: "listPodsOverheadMs",
    digits: 2,
    goal: absoluteGoal(0.5, "ms"),
    budget: 1.5,
  },
  { name: "  list_pods call, median (ms)", key: "listPodsMedianMs", digits: 2 },
  { name: "  direct GET /v2/pods, median (ms)", key: "directGetMedianMs", digits: 2 },
  { name: "  ping round trip over stdio, median (ms)", key: "pingMedianMs", digits: 2 },
  {
    name: "  of which the server's own work (ms)",
    key: "listPodsServerMs",
    digits: 2,
  },
  { name: "RSS after start (MB)", key: "rssAfterStartBytes", digits: 1, scale: MB },
  {
    name: "RSS after N calls (MB)",
    key: "rssAfterCallsBytes",
    digits: 1,
    scale: MB,
    goal: ratioGoal(0.65),
    budget: 2,
  },
  { name: "peak RSS (MB)", key: "peakRssBytes", digits: 1, scale: MB },
  {
    name: "list_pods result bytes (5 pods)",
    key: "list_pods.resultBytes",
    digits: 0,
    goal: ratioGoal(0.3),
    budget: 0.45,
  },
  { name: "get_pod result bytes", key: "get_pod.resultBytes", digits: 0 },
  { name: "list_gpu_types result bytes", key: "list_gpu_types.resultBytes", digits: 0 },
  { name: "tools (count)", key: "tools", digits: 0 },
  { name: "tools/list bytes on the wire", key: "toolsListWireBytes", digits: 0 },
  {
    name: "tools/list name+desc+schema bytes",
    key: "toolsListModelBytes",
    digits: 0,
    budget: 0.6,
  },
  { name: "upstream req: list_pods", key: "list_pods.upstream", digits: 2 },
  { name: "upstream req: get_pod", key: "get_pod.upstream", digits: 2 },
  { name: "upstream req: list_gpu_types", key: "list_gpu_types.upstream", digits: 2 },
  {
    name: "upstream req/call in the N-call mix",
    key: "upstreamPerCallInMix",
    digits: 2,
    budget: 1.5,
  },
];

/** One row's figures for each server (scaled), its ratios to official, and its goal's verdict. */
function figuresOf(summaries: Record<ServerId, Summary>, row: Row) {
  const value = (id: ServerId) => (summaries[id][row.key] ?? NaN) / (row.scale ?? 1);
  const official = value("official");
  const ratio = (id: ServerId) => official !== 0 ? value(id) / official : NaN;
  const met = (id: "ours" | "bundle") => row.goal?.met(id, value(id), ratio(id)) ?? false;
  return { value, ratio, met };
}

/** A row's name with the number of calls in the mix filled in. */
const rowName = (row: Row, calls: number) =>
  row.name.replace("N calls", `${calls} calls`).replace("N-call", `${calls}-call`);

const fmt = (n: number | undefined, digits: number) =>
  n !== undefined && Number.isFinite(n)
    ? n.toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: digits })
    : "-";

function table(summaries: Record<ServerId, Summary>, options: Options) {
  const header = [
    "measure",
    "official",
    "ours",
    "ours (bundle)",
    "ours/official",
    "bundle/official",
    "goal",
    "met (ours / bundle)",
    "budget",
  ];
  const widths = [42, 10, 10, 14, 14, 16, 28, 20, 7];
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i >= 6 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ").trimEnd();
  const lines = [line(header), line(widths.map((w) => "-".repeat(w)))];
  const goals: Record<string, unknown>[] = [];
  const breaches: string[] = [];
  for (const row of ROWS) {
    const { value, ratio, met: isMet } = figuresOf(summaries, row);
    const official = value("official");
    const name = rowName(row, options.rssCalls);
    let met = "";
    if (row.goal) {
      const o = isMet("ours");
      const b = isMet("bundle");
      met = `${o ? "met" : "NOT met"} / ${b ? "met" : "NOT met"}`;
      goals.push({ measure: name, goal: row.goal.text, ours: o, bundle: b });
    }
    if (row.budget !== undefined) {
      for (const id of ["ours", "bundle"] as const) {
        // A missing figure crosses the budget too: a budget that cannot be read cannot pass.
        if (!(ratio(id) <= row.budget)) {
          breaches.push(`${name}: ${id}/official ${fmt(ratio(id), 2)}x > budget ${row.budget}x`);
        }
      }
    }
    lines.push(line([
      name,
      fmt(official, row.digits),
      fmt(value("ours"), row.digits),
      fmt(value("bundle"), row.digits),
      fmt(ratio("ours"), 2) + (Number.isFinite(ratio("ours")) ? "x" : ""),
      fmt(ratio("bundle"), 2) + (Number.isFinite(ratio("bundle")) ? "x" : ""),
      row.goal?.text ?? "",
      met,
      row.budget === undefined ? "" : `${row.budget}x`,
    ]));
  }
  return { text: lines.join("\n"), goals, breaches };
}

const README = new URL("../README.md", import.meta.url);
const README_START = "<!-- performance:start: written by `deno task bench:compare --readme` -->";
const README_END = "<!-- performance:end -->";

/** Facts about the run that the README states above its table. */
interface RunFacts {
  date: string;
  node: string;
  sdkVersion: string;
  rounds: number;
  rssCalls: number;
}

/**
 * The README's performance table: both servers' figures for sizes, memory and counts, and only
 * the ratio for times, which depend on the machine far more than the ratios do.
 */
function readmeSection(summaries: Record<ServerId, Summary>, facts: RunFacts): string {
  const lines = [
    README_START,
    "",
    `One run of \`deno task bench:compare\` (${facts.date}, ${facts.rounds} interleaved rounds, ` +
    `medians): this server with \`deno run\` and as the \`deno bundle\` output under the binary's ` +
    `flags, against \`${OFFICIAL_PACKAGE}\` ${OFFICIAL_VERSION} (SDK ${facts.sdkVersion}) on ` +
    `Node ${facts.node}, over stdio, all against one simulator with 5 pods. Times are given as ` +
    "ratios only: they depend on the machine far more than the ratios do. Lower is better " +
    "everywhere. The server's own work on a call is its overhead above a direct HTTP request, " +
    "less a \`ping\`'s round trip over stdio.",
    "",
    "| measure | official | runpod-mcp | ratio | bundle | ratio | goal: runpod-mcp / bundle |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const row of ROWS) {
    const { value, ratio: ratioOf, met: isMet } = figuresOf(summaries, row);
    const ratio = (id: ServerId) => `${fmt(ratioOf(id), 2)}×`;
    const time = row.name.includes("(ms)");
    const figure = (id: ServerId) => time ? "" : fmt(value(id), row.digits);
    const name = rowName(row, facts.rssCalls).replace(" (ms)", "").replace(/^ {2}/, "↳ ");
    // A goal in ms is judged here against the absolute figure, which the table leaves out.
    const met = (id: "ours" | "bundle") => isMet(id) ? "met" : "not met";
    const goal = row.goal
      ? `${row.goal.text.replaceAll("<=", "≤")}: ${met("ours")} / ${met("bundle")}`
      : "";
    lines.push(
      `| ${name} | ${figure("official")} | ${figure("ours")} | ${ratio("ours")} | ` +
        `${figure("bundle")} | ${ratio("bundle")} | ${goal} |`,
    );
  }
  lines.push("", README_END);
  return lines.join("\n");
}

/** Replaces the README's performance section (between its markers) with `section`. */
async function writeReadme(section: string): Promise<void> {
  const text = await Deno.readTextFile(README);
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start < 0 || end < start) {
    throw new Error(
      `Cannot write the README: its markers are missing (${README_START} … ${README_END})`,
    );
  }
  await Deno.writeTextFile(
    README,
    text.slice(0, start) + section + text.slice(end + README_END.length),
  );
  // The table is written unpadded; deno fmt aligns it as `deno fmt --check` expects.
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", fileURLToPath(README)],
    stdout: "null",
  }).output();
  if (code !== 0) throw new Error("Cannot format README.md: deno fmt failed");
}

// ---------------------------------------------------------------------------------------------

async function nodeVersion(): Promise<string> {
  const { stdout } = await new Deno.Command("node", { args: ["--version"], stdout: "piped" })
    .output();
  return new TextDecoder().decode(stdout).trim();
}

async function main() {
  const options = parseOptions(Deno.args);
  const logDir = await Deno.makeTempDir({ prefix: "runpod-mcp-compare-" });
  const official = await officialBin(options.officialDir);
  console.error(`bundling main.ts into ${logDir}`);
  const bundleFile = await bundle(logDir);
  const sim = await startSimulator();
  const http = Deno.createHttpClient({});
  const rounds: RoundResult[] = [];
  const all = await flavors(sim.url, bundleFile, official.bin, options.officialDir);
  try {
    // One start of each server before anything is timed fills the caches a real user's second
    // start finds warm (Deno's code cache, the OS page cache), as the first round would otherwise.
    for (const flavor of all) {
      console.error(`warm-up: ${flavor.label}`);
      await warmUp(flavor, logDir);
    }
    for (let round = 1; round <= options.rounds; round++) {
      // Rotating the order spreads whatever drifts over time (other load, heat) over all three.
      const order = all.map((_, i) => all[(i + round - 1) % all.length]!);
      for (const flavor of order) {
        console.error(`round ${round}/${options.rounds}: ${flavor.label}`);
        rounds.push(await measureRound(flavor, round, sim, options, logDir, http));
      }
    }
  } finally {
    http.close();
    await sim.close();
  }
  const ids: ServerId[] = ["official", "ours", "bundle"];
  const summaries = Object.fromEntries(
    ids.map((id) => [id, summarize(rounds.filter((r) => r.id === id))]),
  ) as Record<ServerId, Summary>;
  const { text, goals, breaches } = table(summaries, options);
  const protocol = ids.map((id) => `${id}=${rounds.find((r) => r.id === id)?.protocolVersion}`);
  console.log(
    `\nstdio, one simulator (seed ${SIM_SEED}, ${SEED_PODS} pods), ${options.rounds} interleaved ` +
      `round(s), medians over rounds; protocol ${protocol.join(" ")}\n` +
      `overhead: ${options.overheadCalls} paired calls; RSS after ${options.rssCalls} calls ` +
      `(list_pods/get_pod); tools/list repeats: ${options.toolsListRepeats}\n`,
  );
  console.log(text);
  const cold = ids.map((id) =>
    `${id} ${rounds.filter((r) => r.id === id).map((r) => fmt(r.coldStartMs, 0)).join(", ")}`
  );
  console.log(`\ncold start per round (ms): ${cold.join(" | ")}`);
  console.log("HTTP throughput: see bench/http_load.ts");
  const errors = rounds.flatMap((r) => r.errors.map((e) => `${r.id} round ${r.round}: ${e}`));
  for (const error of errors.slice(0, 20)) console.log(`error: ${error}`);
  console.log(`server logs: ${logDir}`);
  const node = await nodeVersion();
  if (options.json) {
    const json = {
      date: new Date().toISOString(),
      deno: Deno.version.deno,
      node,
      official: {
        package: OFFICIAL_PACKAGE,
        version: OFFICIAL_VERSION,
        sdkVersion: official.sdkVersion,
      },
      cpus: navigator.hardwareConcurrency,
      options,
      commands: Object.fromEntries(all.map((f) => [f.id, [f.command, ...f.args].join(" ")])),
      summaries,
      goals,
      budgets: Object.fromEntries(ROWS.filter((r) => r.budget).map((r) => [r.key, r.budget])),
      breaches,
      rounds,
      errors,
    };
    await Deno.writeTextFile(options.json, JSON.stringify(json, null, 2) + "\n");
  }
  if (options.readme && errors.length === 0) {
    await writeReadme(readmeSection(summaries, {
      date: new Date().toISOString().slice(0, 10),
      node: node.replace(/^v/, ""),
      sdkVersion: official.sdkVersion,
      rounds: options.rounds,
      rssCalls: options.rssCalls,
    }));
    console.log("README.md: performance section rewritten from this run");
  }
  if (options.budget) {
    if (breaches.length === 0) console.log("budget: every ratio is within its budget");
    for (const breach of breaches) console.log(`budget crossed: ${breach}`);
  }
  if (errors.length > 0 || (options.budget && breaches.length > 0)) Deno.exit(1);
}

if (import.meta.main) await main();
