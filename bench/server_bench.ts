/**
 * Tool-call cost through the whole stack (SDK client → server → RunPod client → simulator),
 * reported by `deno bench` as ratios against a baseline within each group. Run: `deno task bench`.
 */
import { InMemoryTransport } from "../src/deps.ts";
import { Client } from "../src/deps_client.ts";
import { createLogger, silentLogger } from "../src/log.ts";
import { RunpodClient } from "../src/runpod/mod.ts";
import { RunpodSimulator } from "../src/sandbox/mod.ts";
import { createServer } from "../src/server.ts";

const KEY = "rpa_BENCHKEY000000000000";
// The simulators run on a manual clock and enforce RunPod's per-minute quota; moving the clock
// 200 ms per call keeps a benchmark loop at 300 requests per simulated minute, under the quota.
const PACE_MS = 200;

async function connect(fetchImpl: typeof fetch, base: string) {
  const logger = createLogger({ level: "error", write: () => {} });
  const runpod = new RunpodClient({
    apiKey: KEY,
    restBaseUrl: base,
    serverlessBaseUrl: `${base}/v2`,
    graphqlUrl: `${base}/graphql`,
    fetch: fetchImpl,
    logger: silentLogger,
  });
  const server = createServer({ runpod, logger }, { version: "bench" });
  const client = new Client({ name: "bench", version: "1" });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(b), client.connect(a)]);
  return client;
}

const inProcessSim = new RunpodSimulator({ apiKey: KEY });
const inProcess = await connect(inProcessSim.fetch, "http://sandbox.runpod.invalid");

const loopbackSim = new RunpodSimulator({ apiKey: KEY });
const { url } = await loopbackSim.listen();
const loopback = await connect(fetch, url);

Deno.bench({
  name: "list_gpu_types, sandbox (in-process simulator)",
  group: "list_gpu_types",
  baseline: true,
  async fn() {
    inProcessSim.advance(PACE_MS);
    await inProcess.callTool({ name: "list_gpu_types", arguments: {} });
  },
});

Deno.bench({
  name: "list_gpu_types, simulator over loopback HTTP",
  group: "list_gpu_types",
  async fn() {
    loopbackSim.advance(PACE_MS);
    await loopback.callTool({ name: "list_gpu_types", arguments: {} });
  },
});

Deno.bench({
  name: "tools/list",
  group: "protocol",
  baseline: true,
  async fn() {
    await inProcess.listTools();
  },
});

Deno.bench({
  name: "list_pods (empty account)",
  group: "protocol",
  async fn() {
    inProcessSim.advance(PACE_MS);
    await inProcess.callTool({ name: "list_pods", arguments: {} });
  },
});
