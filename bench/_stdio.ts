/**
 * A minimal MCP client over stdio (newline-delimited JSON-RPC) for `bench/compare.ts`: it spawns
 * a server process, writes requests to its stdin, and reads answers from its stdout, keeping the
 * size of every line it received.
 *
 * Like the HTTP client in `bench/_load.ts`, it is hand-written rather than the SDK's so that every
 * server is driven by exactly the same bytes, and so that the client's own cost stays small next
 * to the servers'.
 *
 * @module
 */

import { PROTOCOL_VERSION } from "./_load.ts";

/** Deadline for one MCP request, ms. */
const REQUEST_TIMEOUT_MS = 60_000;
/** How much of a failing answer an error keeps. */
const DETAIL_CHARS = 300;

/** How one JSON-RPC request over stdio ended. */
export interface StdioOutcome {
  /** Size of the answer's line on stdout (the JSON-RPC message), bytes. */
  wireBytes: number;
  /** Size of `JSON.stringify(result)`, bytes; 0 without a result. */
  resultBytes: number;
  /** The JSON-RPC `result`, when there was one. */
  result?: Record<string, unknown>;
  /** What went wrong, when there was no result or the tool result had `isError: true`. */
  error?: string;
}

/** Options for {@linkcode spawnStdioSession}. */
export interface SpawnStdioOptions {
  cwd: string;
  /** The whole environment of the child (nothing else is inherited). */
  env: Record<string, string>;
  /** The child's stderr goes to `<logDir>/<name>.stderr.log`. */
  logDir: string;
  name: string;
}

interface Pending {
  resolve(outcome: StdioOutcome): void;
  timer: ReturnType<typeof setTimeout>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function clip(text: string): string {
  return text.length > DETAIL_CHARS ? `${text.slice(0, DETAIL_CHARS)}…` : text;
}

/** A server process spoken to over stdio. Requests are answered in any order, matched by id. */
export class StdioSession {
  /** The server's own process id (`sh` execs it). */
  readonly pid: number;
  /** Where the server's stderr goes. */
  readonly stderrPath: string;
  /** Resolves when the process exits. */
  readonly status: Promise<Deno.CommandStatus>;
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #exited = false;
  #reading: Promise<void>;
  /** Lines on stdout that were not JSON-RPC answers to our requests. */
  readonly stray: string[] = [];

  /** Wraps a spawned child; use {@linkcode spawnStdioSession}. */
  constructor(child: Deno.ChildProcess, stderrPath: string) {
    this.#child = child;
    this.pid = child.pid;
    this.stderrPath = stderrPath;
    this.#writer = child.stdin.getWriter();
    this.status = child.status;
    this.status.then(() => {
      this.#exited = true;
      for (const [id, p] of this.#pending) {
        clearTimeout(p.timer);
        p.resolve({ wireBytes: 0, resultBytes: 0, error: `process exited before answering ${id}` });
      }
      this.#pending.clear();
    });
    this.#reading = this.#read();
  }

  async #read(): Promise<void> {
    let buffer = new Uint8Array(0);
    for await (const chunk of this.#child.stdout) {
      const joined = new Uint8Array(buffer.byteLength + chunk.byteLength);
      joined.set(buffer);
      joined.set(chunk, buffer.byteLength);
      let start = 0;
      for (let i = 0; i < joined.byteLength; i++) {
        if (joined[i] !== 0x0a) continue;
        this.#onLine(joined.subarray(start, i));
        start = i + 1;
      }
      buffer = joined.slice(start);
    }
  }

  #onLine(bytes: Uint8Array): void {
    const text = decoder.decode(bytes).replace(/\r$/, "");
    if (text.trim() === "") return;
    let message: { id?: unknown; method?: unknown; result?: unknown; error?: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      this.stray.push(clip(text));
      return;
    }
    if (typeof message.method === "string") {
      // A request from the server (ping, roots/list, …): answer so it never waits on us.
      if (message.id !== undefined) {
        const answer = message.method === "ping"
          ? { jsonrpc: "2.0", id: message.id, result: {} }
          : { jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "not supported" } };
        this.#send(answer).catch(() => {});
      }
      return;
    }
    const pending = typeof message.id === "number" ? this.#pending.get(message.id) : undefined;
    if (!pending) {
      this.stray.push(clip(text));
      return;
    }
    this.#pending.delete(message.id as number);
    clearTimeout(pending.timer);
    const wireBytes = bytes.byteLength;
    if (message.result && typeof message.result === "object") {
      const result = message.result as Record<string, unknown>;
      const resultBytes = encoder.encode(JSON.stringify(result)).byteLength;
      pending.resolve({ wireBytes, resultBytes, result });
    } else {
      const error = clip(JSON.stringify(message.error ?? message));
      pending.resolve({ wireBytes, resultBytes: 0, error });
    }
  }

  async #send(message: unknown): Promise<void> {
    await this.#writer.write(encoder.encode(`${JSON.stringify(message)}\n`));
  }

  /** Sends one request and waits for its answer. Never throws. */
  request(method: string, params: Record<string, unknown>): Promise<StdioOutcome> {
    if (this.#exited) {
      return Promise.resolve({ wireBytes: 0, resultBytes: 0, error: "process has exited" });
    }
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve({ wireBytes: 0, resultBytes: 0, error: `no answer to ${method} within timeout` });
      }, REQUEST_TIMEOUT_MS);
      this.#pending.set(id, { resolve, timer });
      this.#send({ jsonrpc: "2.0", id, method, params }).catch((error) => {
        this.#pending.delete(id);
        clearTimeout(timer);
        resolve({ wireBytes: 0, resultBytes: 0, error: clip(String(error)) });
      });
    });
  }

  /** `initialize` then `notifications/initialized`, as a 2025 client does. */
  async initialize(clientName: string): Promise<StdioOutcome> {
    const outcome = await this.request("initialize", {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: clientName, version: "1.0.0" },
    });
    if (outcome.result) await this.#send({ jsonrpc: "2.0", method: "notifications/initialized" });
    return outcome;
  }

  /** Calls a tool; a result with `isError: true` is reported as an error. */
  async callTool(name: string, args: Record<string, unknown>): Promise<StdioOutcome> {
    const outcome = await this.request("tools/call", { name, arguments: args });
    if (outcome.result?.isError === true) {
      return { ...outcome, error: clip(JSON.stringify(outcome.result.content ?? outcome.result)) };
    }
    return outcome;
  }

  /** Closes stdin (a stdio server's signal to exit), then SIGTERM, then SIGKILL. */
  async stop(graceMs = 3_000): Promise<void> {
    if (!this.#exited) {
      await this.#writer.close().catch(() => {});
      const term = setTimeout(() => {
        if (!this.#exited) this.#child.kill("SIGTERM");
      }, graceMs);
      const kill = setTimeout(() => {
        if (!this.#exited) this.#child.kill("SIGKILL");
      }, 2 * graceMs);
      await this.status;
      clearTimeout(term);
      clearTimeout(kill);
    }
    await this.#reading.catch(() => {});
  }
}

/**
 * Starts `command args…` with stdin and stdout piped to a {@linkcode StdioSession} and stderr
 * written to a log file, so a chatty server never blocks on a full pipe. `sh` execs the command,
 * so the session's `pid` is the server's own.
 */
export function spawnStdioSession(
  command: string,
  args: string[],
  options: SpawnStdioOptions,
): StdioSession {
  const stderrPath = `${options.logDir}/${options.name}.stderr.log`;
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", 'err="$1"; shift; exec "$@" 2>"$err"', "sh", stderrPath, command, ...args],
    cwd: options.cwd,
    env: options.env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  return new StdioSession(child, stderrPath);
}
