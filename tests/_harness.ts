/**
 * Test harness: the real server, a real SDK `Client`, and the RunPod simulator on 127.0.0.1:0 as
 * the only fake. Tests assert both what the model got back and what RunPod (the simulator)
 * received.
 *
 * The protocol era is a parameter: `legacy` (2025-11-25, an `initialize` handshake over the
 * in-memory transport, as stdio clients connect today) or `modern` (2026-07-28, per-request
 * envelopes through the Streamable HTTP handler, served in process). The default comes from env
 * `RUNPOD_MCP_TEST_ERA`, so `deno task test` runs the whole suite once per era.
 *
 * @module
 */

import {
  type CallToolResult,
  createMcpHandler,
  InMemoryTransport,
  type McpServer,
  type ProtocolEra,
} from "../src/deps.ts";
import { Client, StreamableHTTPClientTransport } from "../src/deps_client.ts";
import { createLogger } from "../src/log.ts";
import { mutationFields } from "../src/policy/writes.ts";
import { RunpodClient } from "../src/runpod/mod.ts";
import { RunpodSimulator, type SimulatorOptions } from "../src/sandbox/mod.ts";
import { createApp, type McpApp, type ServerOptions } from "../src/server.ts";
import type { Clock } from "../src/tools/mod.ts";
import { startTcpProxy, type TcpProxy } from "./_tcp_proxy.ts";

/** The API key every test uses. A test greps outputs for it to prove it never leaks. */
export const TEST_KEY = "rpa_TESTKEY0123456789abcdefXYZ";

/** Options for {@linkcode startHarness}. */
export interface HarnessOptions {
  simulator?: SimulatorOptions;
  server?: Partial<ServerOptions>;
  /** Key the server sends; default {@linkcode TEST_KEY}. */
  apiKey?: string;
  /** Capabilities the test client declares. */
  clientCapabilities?: Record<string, unknown>;
  /** Per-attempt deadline for the RunPod client, ms. */
  timeoutMs?: number;
  /**
   * How tools wait (wait_for_pod). Default: advance the simulator's clock by the wait and resolve
   * at once, so polling runs in simulated time with no real sleeping.
   */
  toolSleep?: (ms: number, signal: AbortSignal, sim: RunpodSimulator) => Promise<void>;
  /**
   * Puts a TCP proxy between the RunPod client and the simulator (`h.proxy`), so a test can drop
   * a connection before or after the simulator handled a request. Default false.
   */
  proxy?: boolean;
  /** The protocol era the client speaks; default {@linkcode TEST_ERA}. */
  era?: ProtocolEra;
  /** Modern era: every POST the client sent (headers and parsed JSON-RPC body), in order. */
  posted?: { headers: Record<string, string>; body: unknown }[];
}

/** The era tests run in unless they choose: env `RUNPOD_MCP_TEST_ERA`, default `legacy`. */
export const TEST_ERA: ProtocolEra = Deno.env.get("RUNPOD_MCP_TEST_ERA") === "modern"
  ? "modern"
  : "legacy";

/** A running server + client + simulator. */
export interface Harness {
  sim: RunpodSimulator;
  client: Client;
  /** The era the client and server speak. */
  era: ProtocolEra;
  /** The server under test (for `resourcesOf`); in the modern era, one per request, so absent. */
  server?: McpServer;
  /** The app behind the server (its pod status feed, for 2026-era listen tests). */
  app: McpApp;
  /** Modern era: the HTTP handler itself, for raw requests a client would not send. */
  mcpFetch?: (request: Request) => Promise<Response>;
  /** Simulator base URL, e.g. http://127.0.0.1:40123. */
  url: string;
  /** The proxy the server talks through, when started with `proxy: true`. */
  proxy?: TcpProxy;
  /** Every stderr line the server's logger wrote. */
  logLines: string[];
  /** Waits the RunPod client asked for between retries, ms (no real sleeping). */
  sleeps: number[];
  /** Calls a tool; returns the raw MCP result. */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts the simulator, the server and a connected client. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sim = new RunpodSimulator({ apiKey: TEST_KEY, ...options.simulator });
  const { url, close: closeSim } = await sim.listen();
  const proxy = options.proxy ? startTcpProxy(url) : undefined;
  const runpodUrl = proxy?.url ?? url;
  const logLines: string[] = [];
  const sleeps: number[] = [];
  const apiKey = options.apiKey ?? TEST_KEY;
  const logger = createLogger({
    level: "debug",
    write: (line) => logLines.push(line),
    secrets: [apiKey],
  });
  const runpod = new RunpodClient({
    apiKey,
    restBaseUrl: runpodUrl,
    serverlessBaseUrl: `${runpodUrl}/v2`,
    graphqlUrl: `${runpodUrl}/graphql`,
    logger,
    // RunPod's createdAt comes from the simulator's clock; a lost reply is matched against it.
    now: () => sim.now(),
    timeoutMs: options.timeoutMs ?? 5_000,
    sleep: (ms, signal) => {
      sleeps.push(ms);
      if (signal?.aborted) return Promise.reject(signal.reason);
      return Promise.resolve();
    },
  });
  const toolSleep = options.toolSleep ??
    ((ms, signal, simulator) => simulator.sleep(ms, signal));
  const clock: Clock = {
    now: () => sim.now(),
    sleep: (ms, signal) => toolSleep(ms, signal, sim),
  };
  const app = createApp({ runpod, logger, clock }, {
    version: "0.0.0-test",
    secrets: [apiKey],
    // Tool tests exercise what tools do; the guard's own tests choose their confirm mode.
    policy: { readOnly: false, confirm: "never" },
    ...options.server,
  });
  const era = options.era ?? TEST_ERA;
  const client = new Client(
    { name: "runpod-mcp-tests", version: "1.0.0" },
    {
      capabilities: options.clientCapabilities ?? {},
      ...(era === "modern" ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {}),
    },
  );
  let server: McpServer | undefined;
  let mcpFetch: ((request: Request) => Promise<Response>) | undefined;
  let closeServer: () => Promise<void>;
  if (era === "legacy") {
    server = await app.factory({ era }) as McpServer;
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
    closeServer = () => server!.close();
  } else {
    // Tools refuse oversized job inputs themselves (RunPod's 20 MB); the handler must let them in.
    const handler = createMcpHandler(app.factory, {
      maxRequestBodySize: 64 * 1024 * 1024,
      bus: app.bus,
    });
    const posted = options.posted;
    const transport = new StreamableHTTPClientTransport(new URL("http://runpod-mcp.test/mcp"), {
      fetch: async (url, init) => {
        const request = new Request(url, init);
        if (posted && request.method === "POST") {
          posted.push({
            headers: Object.fromEntries(request.headers),
            body: await request.clone().json(),
          });
        }
        return handler.fetch(request);
      },
    });
    mcpFetch = (request) => handler.fetch(request);
    await client.connect(transport);
    closeServer = () => handler.close();
  }

  const close = async () => {
    await client.close();
    await closeServer();
    await app.close();
    await proxy?.close();
    await closeSim();
  };
  return {
    sim,
    client,
    era,
    app,
    ...(server ? { server } : {}),
    ...(mcpFetch ? { mcpFetch } : {}),
    url,
    ...(proxy ? { proxy } : {}),
    logLines,
    sleeps,
    call: (name, args = {}) =>
      client.callTool({ name, arguments: args }) as Promise<CallToolResult>,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The text of a tool result's first content block. */
export function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first && first.type === "text" ? first.text : "";
}

/** Structured content of a successful result; throws with the error text otherwise. */
export function dataOf<T = Record<string, unknown>>(result: CallToolResult): T {
  if (result.isError) throw new Error(`Tool returned an error: ${textOf(result)}`);
  if (!result.structuredContent) throw new Error("Tool result has no structuredContent");
  return result.structuredContent as T;
}

/** Sends a request straight to the simulator, as another RunPod client would: status and JSON. */
export async function simRequest(
  h: Harness,
  method: string,
  path: string,
  body?: unknown,
  // Tests read whatever JSON the simulator answers; typing every shape here would add nothing.
  // deno-lint-ignore no-explicit-any
): Promise<{ status: number; json: any }> {
  const response = await fetch(`${h.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

/** `METHOD /path` of every request the simulator received, in order. */
export function routes(h: Harness): string[] {
  return h.sim.requests.map((r) => `${r.method} ${r.path}`);
}

/** Requests that change RunPod state: REST and job-API calls other than GET, GraphQL mutations. */
export function writes(h: Harness) {
  return h.sim.requests.filter((r) => {
    if (r.api !== "graphql") return r.method !== "GET";
    const query = (r.body as { query?: unknown } | undefined)?.query;
    return typeof query === "string" && mutationFields(query).length > 0;
  });
}

/** The text of a result that must be an error. */
export function errorText(result: CallToolResult): string {
  if (result.isError !== true) throw new Error(`Expected an error, got: ${textOf(result)}`);
  return textOf(result);
}

/** Creates a pod directly on the simulator over HTTP (as another RunPod client would). */
export async function seedPod(
  h: Harness,
  body: Record<string, unknown>,
): Promise<{ id: string } & Record<string, unknown>> {
  const { status, json } = await simRequest(h, "POST", "/v2/pods", body);
  if (status !== 201) throw new Error(`Cannot seed pod: ${status} ${JSON.stringify(json)}`);
  return json;
}
