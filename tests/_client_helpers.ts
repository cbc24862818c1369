/**
 * Test helpers for the RunPod client: a simulator on 127.0.0.1:0 and a client pointed at it,
 * with an injected sleep that records the waits instead of taking them.
 *
 * @module
 */

import { createLogger } from "../src/log.ts";
import { RunpodClient, type RunpodClientOptions } from "../src/runpod/mod.ts";
import { RunpodSimulator } from "../src/sandbox/mod.ts";

/** The key the simulator accepts; tests check it never leaks. */
export const TEST_KEY = "rpa_TESTKEY123456";

/** What a client test gets to work with. */
export interface ClientHarness {
  sim: RunpodSimulator;
  /** Simulator base URL, no trailing slash. */
  url: string;
  client: RunpodClient;
  /** Every wait the client asked for, in ms, in order. */
  waits: number[];
  /** Every log line the client wrote (debug level and up). */
  logLines: string[];
  /** Builds another client on the same simulator with different options. */
  makeClient(overrides?: Partial<RunpodClientOptions>): RunpodClient;
}

/** Sleep stand-in: records `ms`, resolves at once, and rejects like a real sleep on abort. */
export function recordingSleep(
  waits: number[],
): (ms: number, signal?: AbortSignal) => Promise<void> {
  return (ms, signal) => {
    waits.push(ms);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return Promise.resolve();
  };
}

/**
 * Starts a simulator, runs `fn` with a client pointed at it, and always closes the server.
 * Jitter is fixed (`random` returns 0) so backoff waits are exact.
 */
export async function withClient(
  fn: (harness: ClientHarness) => Promise<void>,
  overrides: Partial<RunpodClientOptions> = {},
): Promise<void> {
  const sim = new RunpodSimulator({ apiKey: TEST_KEY });
  const { url, close } = await sim.listen();
  const waits: number[] = [];
  const logLines: string[] = [];
  const logger = createLogger({ level: "debug", write: (line) => logLines.push(line) });
  const makeClient = (more: Partial<RunpodClientOptions> = {}) =>
    new RunpodClient({
      apiKey: TEST_KEY,
      restBaseUrl: url,
      serverlessBaseUrl: `${url}/v2`,
      graphqlUrl: `${url}/graphql`,
      sleep: recordingSleep(waits),
      random: () => 0,
      logger,
      ...overrides,
      ...more,
    });
  try {
    await fn({ sim, url, client: makeClient(), waits, logLines, makeClient });
  } finally {
    await close();
  }
}

/** Runs `fn` and returns what it threw; fails when it does not throw. */
export async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error("Expected the call to throw, but it resolved");
}

/** Everything an error exposes that could carry a secret: message, stack, JSON, causes. */
export function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message, current.stack ?? "", JSON.stringify(current), String(current));
      current = current.cause;
    } else {
      parts.push(String(current), JSON.stringify(current) ?? "");
      current = undefined;
    }
  }
  return parts.join("\n");
}
