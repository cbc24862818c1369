/**
 * Helpers for the HTTP front door tests: a real `serveHttp` on 127.0.0.1:0, a recording fake MCP
 * handler, a counting fake limiter, and a raw TCP client for the headers `fetch` will not send.
 *
 * @module
 */

import { createLogger } from "../src/log.ts";
import type { WindowHit } from "../src/state/types.ts";
import {
  type Caller,
  type HttpServeOptions,
  type HttpServerHandle,
  type McpFetch,
  serveHttp,
} from "../src/transports/http.ts";

/** The server's token. Plain words, so the logger's shape-based masking cannot hide a leak. */
export const TOKEN = "correct-horse-battery-staple-7341";

/** What the fake MCP handler received for one request. */
export interface Received {
  method: string;
  url: string;
  caller: Caller;
  headers: Headers;
  body: string;
  signal: AbortSignal;
}

/** A fake MCP handler that records each request and answers 200 JSON, unless `answer` is given. */
export function recordingMcp(
  answer?: (received: Received) => Response | Promise<Response>,
): { mcp: McpFetch; received: Received[] } {
  const received: Received[] = [];
  const mcp: McpFetch = async (request, caller, signal) => {
    const body = await request.text();
    const entry = {
      method: request.method,
      url: request.url,
      caller,
      headers: request.headers,
      body,
      signal,
    };
    received.push(entry);
    if (answer) return await answer(entry);
    return Response.json({ jsonrpc: "2.0", result: {}, id: 1 });
  };
  return { mcp, received };
}

/** A fake limiter that counts hits per key in one never-ending window. */
export function countingLimiter(resetInMs = 1500) {
  const counts = new Map<string, number>();
  const keys: string[] = [];
  const state = {
    hit(key: string, _windowMs: number): Promise<WindowHit> {
      keys.push(key);
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      return Promise.resolve({ count, resetInMs });
    },
  };
  return { keys, state };
}

/** A running front door under test. */
export interface Front {
  handle: HttpServerHandle;
  /** The MCP endpoint URL. */
  url: string;
  /** http://127.0.0.1:PORT */
  base: string;
  /** Every line the logger wrote (debug and up). */
  logLines: string[];
  received: Received[];
  /** Keys the fake limiter was asked to count. */
  limiterKeys: string[];
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options for {@linkcode startFront}: any serve option, plus the handler. */
export type FrontOptions = Partial<Omit<HttpServeOptions, "logger">> & {
  mcp?: McpFetch;
  answer?: (received: Received) => Response | Promise<Response>;
};

/** Starts `serveHttp` on 127.0.0.1:0 with token auth, a generous fake limiter and a debug logger. */
export function startFront(options: FrontOptions = {}): Front {
  const logLines: string[] = [];
  const logger = createLogger({ level: "debug", write: (line) => logLines.push(line) });
  const recorder = recordingMcp(options.answer);
  const limiter = countingLimiter();
  const { mcp = recorder.mcp, answer: _answer, ...serve } = options;
  const handle = serveHttp(mcp, {
    hostname: "127.0.0.1",
    port: 0,
    auth: { mode: "token", token: TOKEN },
    allowedOrigins: [],
    maxBodyBytes: 4096,
    rateLimit: { requests: 1000, windowMs: 60_000, state: limiter.state },
    ...serve,
    logger,
  });
  return {
    handle,
    url: handle.url,
    base: `http://127.0.0.1:${handle.port}`,
    logLines,
    received: recorder.received,
    limiterKeys: limiter.keys,
    async [Symbol.asyncDispose]() {
      await handle.drain(0);
    },
  };
}

/** A fully read response. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** Sends a request to `url` (with the bearer `token` unless null) and reads the whole answer. */
export async function send(
  url: string,
  init: RequestInit & { token?: string | null } = {},
): Promise<Answer> {
  const { token = TOKEN, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  if (rest.body !== undefined && !headers.has("content-type")) {
    headers.set("content-type", "application/json");
  }
  const response = await fetch(url, { method: "POST", ...rest, headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The `error.message` of a JSON-RPC refusal body. */
export function refusalMessage(text: string): string {
  const body = JSON.parse(text) as { jsonrpc: string; id: unknown; error: { message: string } };
  if (body.jsonrpc !== "2.0" || body.id !== null) throw new Error(`Not a JSON-RPC error: ${text}`);
  return body.error.message;
}

/**
 * Sends raw bytes over TCP and returns the response head and body (by its Content-Length), or
 * everything until the server closed. For requests `fetch` will not make: a forged Host, a lying
 * Content-Length.
 */
export async function rawExchange(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(request));
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(16 * 1024);
    let text = "";
    while (!isComplete(text)) {
      const n = await conn.read(buffer);
      if (n === null) return text + decoder.decode();
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
    return text;
  } finally {
    conn.close();
  }
}

function isComplete(response: string): boolean {
  const end = response.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const length = /\r\ncontent-length: *(\d+)/i.exec(response.slice(0, end));
  return length !== null && response.length - end - 4 >= Number(length[1]);
}

/** A request body stream the test controls: it sends `chunks` and then stays open until ended. */
export function heldStream(chunks: Uint8Array[]): {
  stream: ReadableStream<Uint8Array>;
  end(): void;
} {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      for (const chunk of chunks) c.enqueue(chunk);
    },
  });
  return {
    stream,
    end() {
      try {
        controller.close();
      } catch {
        // The server already dropped the connection, which cancelled the stream.
      }
    },
  };
}

/** A promise with its resolver, for handlers the test releases by hand. */
export function gate<T = void>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => open = resolve);
  return { promise, open };
}
