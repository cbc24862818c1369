/**
 * The whole HTTP stack for end-to-end tests: the RunPod simulator on 127.0.0.1:0, the app as
 * `src/cli.ts` wires it (spend ledgers and token claims on the shared state, bring-your-own-key
 * accounts from the caller's bearer) and the real `serveMcpHttp` front door on 127.0.0.1:0, with
 * real SDK clients connected over Streamable HTTP in either protocol era.
 *
 * @module
 */

import type { ClientCapabilities, ProtocolEra } from "../src/deps.ts";
import { Client, StreamableHTTPClientTransport } from "../src/deps_client.ts";
import type { HttpConfig } from "../src/config.ts";
import { createLogger, type RootLogger } from "../src/log.ts";
import { RunpodClient } from "../src/runpod/mod.ts";
import { RunpodSimulator, type SimulatorOptions } from "../src/sandbox/mod.ts";
import { createApp, type ServerOptions } from "../src/server.ts";
import { MemoryState, type SharedState } from "../src/state/mod.ts";
import type { Clock } from "../src/tools/mod.ts";
import type { HttpServerHandle } from "../src/transports/http.ts";
import { serveMcpHttp } from "../src/transports/mcp_http.ts";
import { callerAccountFrom, sharedStateHooks } from "../src/transports/mod.ts";
import { type Harness, TEST_KEY } from "./_harness.ts";

/** The bearer clients send in `token` mode. Plain words, so shape-based masking cannot hide it. */
export const HTTP_TOKEN = "lantern-orchard-velvet-quarry-5190";

/** The protocol revision of the modern era. */
const MODERN_VERSION = "2026-07-28";

/** A RunPod simulator listening on 127.0.0.1:0. */
export interface ListeningSimulator {
  sim: RunpodSimulator;
  /** Base URL, e.g. http://127.0.0.1:40123. */
  url: string;
  close(): Promise<void>;
}

/** Starts a simulator that accepts only `apiKey` (default {@linkcode TEST_KEY}). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<ListeningSimulator> {
  const sim = new RunpodSimulator({ apiKey: TEST_KEY, ...options });
  const { url, close } = await sim.listen();
  return { sim, url, close };
}

/** Options for {@linkcode startHttpServer}. */
export interface HttpServerOptions {
  /** Serve this running simulator (replicas share one); default a new one, closed with the server. */
  simulator?: ListeningSimulator;
  /** Options for the simulator the server starts itself. */
  simulatorOptions?: SimulatorOptions;
  /** Overrides for the HTTP settings; default loopback, port 0, token {@linkcode HTTP_TOKEN}. */
  http?: Partial<HttpConfig>;
  /** App options over the defaults (sandbox, confirm never); ledgers and claims use `state`. */
  server?: Partial<ServerOptions>;
  /** Shared state, closed by the caller; default a fresh {@linkcode MemoryState}, closed here. */
  state?: SharedState;
}

/** Options for {@linkcode HttpServer.connect}. */
export interface ConnectOptions {
  /** The bearer; default {@linkcode HTTP_TOKEN}. */
  bearer?: string;
  capabilities?: ClientCapabilities;
}

/** The running stack. */
export interface HttpServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:40124/mcp. */
  url: string;
  /** The front door itself. */
  handle: HttpServerHandle;
  sim: RunpodSimulator;
  /** The simulator's base URL. */
  simUrl: string;
  /** Every line the server's logger wrote (debug and up). */
  logLines: string[];
  /** A real SDK client speaking `era` to this server; closed with the server. */
  connect(era: ProtocolEra, options?: ConnectOptions): Promise<Client>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts simulator (unless given), app and `serveMcpHttp` on 127.0.0.1:0. */
export async function startHttpServer(options: HttpServerOptions = {}): Promise<HttpServer> {
  const simulator = options.simulator ?? await startSimulator(options.simulatorOptions);
  const { sim } = simulator;
  const state = options.state ?? new MemoryState();
  const http: HttpConfig = {
    host: "127.0.0.1",
    port: 0,
    auth: "token",
    token: HTTP_TOKEN,
    allowedOrigins: [],
    maxBodyBytes: 1_000_000,
    rateLimitPerMinute: 1_000,
    ...options.http,
  };
  const logLines: string[] = [];
  const logger = createLogger({
    level: "debug",
    write: (line) => logLines.push(line),
    secrets: [TEST_KEY, ...(http.token ? [http.token] : [])],
  });
  const runpod = runpodClient(simulator, TEST_KEY, logger);
  // Waits run in simulated time: a poll's sleep moves the simulator's clock and returns at once.
  const clock: Clock = {
    now: () => sim.now(),
    sleep: sim.sleep,
  };
  const app = createApp({
    runpod,
    logger,
    clock,
    ...(http.auth === "runpod-key"
      ? { callerAccount: callerAccountFrom((key) => runpodClient(simulator, key, logger)) }
      : {}),
  }, {
    version: "0.0.0-test",
    sandbox: true,
    secrets: [TEST_KEY],
    policy: { readOnly: false, confirm: "never" },
    ...sharedStateHooks(state),
    ...options.server,
  });
  const served = serveMcpHttp({
    factory: app.factory,
    bus: app.bus,
    http,
    state,
    logger,
    version: "0.0.0-test",
    sandbox: true,
  });
  const clients: Client[] = [];
  const close = async () => {
    for (const client of clients) await client.close();
    await served.server.drain(0);
    await served.close();
    await app.close();
    if (!options.state) await state.close();
    if (!options.simulator) await simulator.close();
  };
  return {
    url: served.server.url,
    handle: served.server,
    sim,
    simUrl: simulator.url,
    logLines,
    async connect(era, connectOptions = {}) {
      const client = new Client(
        { name: "runpod-mcp-http-tests", version: "1.0.0" },
        {
          capabilities: connectOptions.capabilities ?? {},
          ...(era === "modern" ? { versionNegotiation: { mode: { pin: MODERN_VERSION } } } : {}),
        },
      );
      const transport = new StreamableHTTPClientTransport(new URL(served.server.url), {
        requestInit: {
          headers: { authorization: `Bearer ${connectOptions.bearer ?? HTTP_TOKEN}` },
        },
      });
      await client.connect(transport);
      clients.push(client);
      // A test that thinks it speaks 2026-07-28 must not be quietly served in the 2025 era.
      const version = client.getNegotiatedProtocolVersion();
      if ((version === MODERN_VERSION) !== (era === "modern")) {
        throw new Error(`Cannot connect in the ${era} era: the client negotiated ${version}`);
      }
      return client;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A RunPod client on the simulator with `apiKey`; retries wait in no real time. */
function runpodClient(
  simulator: ListeningSimulator,
  apiKey: string,
  logger: RootLogger,
): RunpodClient {
  return new RunpodClient({
    apiKey,
    restBaseUrl: simulator.url,
    serverlessBaseUrl: `${simulator.url}/v2`,
    graphqlUrl: `${simulator.url}/graphql`,
    logger,
    now: () => simulator.sim.now(),
    timeoutMs: 5_000,
    sleep: (_ms, signal) => signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve(),
  });
}

/**
 * The stack seen as a harness by the helpers of `_harness.ts` that read only `sim` and `url`
 * (`writes`, `routes`, `seedPod`, `simRequest`), so they have one home.
 */
export function simView(server: Pick<HttpServer, "sim" | "simUrl">): Harness {
  return { sim: server.sim, url: server.simUrl } as Harness;
}
