import assert from "node:assert/strict";
import { z } from "zod";
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { createLogger } from "../src/log.ts";
import { type McpFetch, serveHttp } from "../src/transports/http.ts";
import {
  countingLimiter,
  gate,
  heldStream,
  rawExchange,
  recordingMcp,
  refusalMessage,
  send,
  startFront,
  TOKEN,
} from "./_http_helpers.ts";

const PING = JSON.stringify({ jsonrpc: "2.0", method: "ping", id: 1 });

async function sha256Prefix(text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---------------------------------------------------------------------------------------------
// Routing, health, logs

Deno.test("serveHttp() logs the real URL on listen and answers /healthz without auth", async () => {
  await using front = startFront({ health: () => ({ state: "memory", version: "0.1.0" }) });
  assert.match(front.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  assert.notEqual(front.handle.port, 0);
  const listen = front.logLines.find((l) => l.includes("serving MCP over Streamable HTTP"));
  assert.ok(listen?.includes(`url=${front.url}`), listen);
  assert.match(listen ?? "", / INFO /);

  const response = await fetch(`${front.base}/healthz`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "ok", state: "memory", version: "0.1.0" });
  assert.equal(front.received.length, 0);
  assert.equal(front.limiterKeys.length, 0);
});

Deno.test("serveHttp() answers 404 with the endpoint names on other paths", async () => {
  await using front = startFront();
  const answer = await send(`${front.base}/other`, { method: "GET" });
  assert.equal(answer.status, 404);
  assert.match(answer.text, /\/mcp/);
  assert.match(answer.text, /\/healthz/);
});

Deno.test("serveHttp() passes the body, headers, method and a hashed caller id to the handler", async () => {
  await using front = startFront();
  const answer = await send(front.url, {
    body: PING,
    headers: { "mcp-protocol-version": "2025-06-18", accept: "application/json" },
  });
  assert.equal(answer.status, 200);
  assert.deepEqual(JSON.parse(answer.text), { jsonrpc: "2.0", result: {}, id: 1 });
  const [got] = front.received;
  assert.ok(got);
  assert.equal(got.method, "POST");
  assert.equal(got.body, PING);
  assert.equal(new URL(got.url).pathname, "/mcp");
  assert.equal(got.headers.get("mcp-protocol-version"), "2025-06-18");
  assert.equal(got.caller.id, await sha256Prefix(TOKEN));
  assert.equal(got.caller.runpodKey, undefined);
  assert.deepEqual(front.limiterKeys, [`rate:${got.caller.id}`]);
});

Deno.test("serveHttp() writes a debug access log with method, path, status, ms and caller id", async () => {
  await using front = startFront();
  await send(front.url, { body: PING });
  await send(front.url, { body: PING, token: null });
  const id = await sha256Prefix(TOKEN);
  const access = front.logLines.filter((l) => l.includes("http request"));
  assert.equal(access.length, 2);
  assert.match(access[0] ?? "", / DEBUG http request method=POST path=\/mcp status=200 ms=\d+ /);
  assert.ok(access[0]?.endsWith(`caller=${id}`), access[0]);
  assert.match(access[1] ?? "", /status=401 ms=\d+ caller=-$/);
});

// ---------------------------------------------------------------------------------------------
// Auth

Deno.test("serveHttp() refuses a missing bearer with 401 and a Bearer challenge", async () => {
  await using front = startFront();
  const answer = await send(front.url, { body: PING, token: null });
  assert.equal(answer.status, 401);
  assert.equal(answer.headers.get("www-authenticate"), 'Bearer realm="runpod-mcp"');
  assert.match(refusalMessage(answer.text), /Authorization: Bearer <token>/);
  assert.equal(front.received.length, 0);
});

Deno.test("serveHttp() refuses a wrong bearer with 401 invalid_token", async () => {
  await using front = startFront();
  for (const token of ["wrong", TOKEN + "x", TOKEN.slice(0, -1)]) {
    const answer = await send(front.url, { body: PING, token });
    assert.equal(answer.status, 401);
    assert.equal(
      answer.headers.get("www-authenticate"),
      'Bearer realm="runpod-mcp", error="invalid_token"',
    );
    assert.match(refusalMessage(answer.text), /token is wrong.*Authorization: Bearer <token>/);
  }
  assert.equal(front.received.length, 0);
});

Deno.test("serveHttp() limits failed auth per address, then refuses even the right token", async () => {
  await using front = startFront({
    rateLimit: { requests: 2, windowMs: 60_000, state: countingLimiter(2500).state },
  });
  assert.equal((await send(front.url, { body: PING, token: "guess-1" })).status, 401);
  assert.equal((await send(front.url, { body: PING, token: null })).status, 401);
  const third = await send(front.url, { body: PING, token: "guess-3" });
  assert.equal(third.status, 429);
  assert.equal(third.headers.get("retry-after"), "3");
  assert.match(refusalMessage(third.text), /failed authentication.*retry in 3 seconds/);
  // A guess that happens to be right learns nothing while the address is blocked.
  const right = await send(front.url, { body: PING });
  assert.equal(right.status, 429);
  assert.equal(front.received.length, 0);
  assert.ok(front.logLines.some((l) => l.includes("address=127.0.0.1")));
});

Deno.test("serveHttp() counts failed auth under auth-fail:<address>", async () => {
  const limiter = countingLimiter();
  await using front = startFront({
    rateLimit: { requests: 100, windowMs: 60_000, state: limiter.state },
  });
  await send(front.url, { body: PING, token: "nope" });
  assert.deepEqual(limiter.keys, ["auth-fail:127.0.0.1"]);
});

Deno.test("serveHttp() in runpod-key mode passes a plausible bearer on as the caller's key", async () => {
  const key = "user-runpod-key-0123456789";
  await using front = startFront({ auth: { mode: "runpod-key" } });
  const answer = await send(front.url, { body: PING, token: key });
  assert.equal(answer.status, 200);
  assert.equal(front.received[0]?.caller.runpodKey, key);
  assert.equal(front.received[0]?.caller.id, await sha256Prefix(key));

  const short = await send(front.url, { body: PING, token: "short" });
  assert.equal(short.status, 401);
  assert.match(short.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
  assert.match(refusalMessage(short.text), /RunPod API key/);
  const missing = await send(front.url, { body: PING, token: null });
  assert.equal(missing.status, 401);
  assert.match(refusalMessage(missing.text), /your RunPod API key as Authorization: Bearer <key>/);
  assert.equal(front.received.length, 1);
});

Deno.test("serveHttp() without a token serves loopback anonymously and refuses other addresses", async () => {
  await using front = startFront({ auth: { mode: "token" } });
  const answer = await send(front.url, { body: PING, token: null });
  assert.equal(answer.status, 200);
  assert.equal(front.received[0]?.caller.id, "anonymous");

  const { mcp } = recordingMcp();
  assert.throws(
    () =>
      serveHttp(mcp, {
        hostname: "0.0.0.0",
        port: 0,
        auth: { mode: "token" },
        allowedOrigins: [],
        maxBodyBytes: 1024,
        rateLimit: { requests: 1, windowMs: 1000, state: countingLimiter().state },
        logger: createLogger({ write: () => {} }),
      }),
    /Cannot serve MCP over HTTP on 0\.0\.0\.0 without a token: .*only allowed on loopback/,
  );
});

// ---------------------------------------------------------------------------------------------
// Host, Origin, CORS, methods

Deno.test("serveHttp() on loopback refuses a foreign Host header with 403 (DNS rebinding)", async () => {
  await using front = startFront();
  const port = front.handle.port;
  const forged = await rawExchange(
    port,
    `POST /mcp HTTP/1.1\r\nHost: evil.example:${port}\r\nAuthorization: Bearer ${TOKEN}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${PING.length}\r\nConnection: close\r\n\r\n${PING}`,
  );
  assert.match(forged, /^HTTP\/1\.1 403/);
  assert.match(forged, /"jsonrpc":"2\.0"/);
  assert.match(
    forged,
    /Cannot accept Host \\"evil\.example:\d+\\".*localhost, 127\.0\.0\.1 or \[::1\]/,
  );
  for (const host of [`localhost:${port}`, `127.0.0.1`, `[::1]:${port}`]) {
    const ok = await rawExchange(
      port,
      `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    );
    assert.match(ok, /^HTTP\/1\.1 200/, host);
  }
  assert.equal(front.received.length, 0);
});

Deno.test("serveHttp() refuses a disallowed Origin with 403 before auth", async () => {
  await using front = startFront({ allowedOrigins: ["https://app.example"] });
  const answer = await send(front.url, {
    body: PING,
    token: null,
    headers: { origin: "https://evil.example" },
  });
  assert.equal(answer.status, 403);
  assert.equal(answer.headers.get("access-control-allow-origin"), null);
  assert.match(refusalMessage(answer.text), /Origin "https:\/\/evil\.example".*allowed origins/);
  assert.equal(front.received.length, 0);
});

Deno.test("serveHttp() adds CORS headers for an allowed Origin, on success and on refusal", async () => {
  await using front = startFront({ allowedOrigins: ["https://app.example/"] });
  const origin = "https://app.example";
  const ok = await send(front.url, { body: PING, headers: { origin } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("access-control-allow-origin"), origin);
  assert.equal(
    ok.headers.get("access-control-expose-headers"),
    "mcp-session-id, mcp-protocol-version, www-authenticate",
  );
  const refused = await send(front.url, { body: PING, headers: { origin }, token: null });
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get("access-control-allow-origin"), origin);
});

Deno.test("serveHttp() answers a CORS preflight: 204 for an allowed Origin, 403 otherwise", async () => {
  await using front = startFront({ allowedOrigins: ["https://app.example"] });
  const allowed = await send(front.url, {
    method: "OPTIONS",
    token: null,
    headers: { origin: "https://app.example", "access-control-request-method": "POST" },
  });
  assert.equal(allowed.status, 204);
  assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example");
  assert.equal(allowed.headers.get("access-control-allow-methods"), "GET, POST, DELETE, OPTIONS");
  assert.equal(
    allowed.headers.get("access-control-allow-headers"),
    "authorization, content-type, accept, mcp-protocol-version, mcp-session-id, last-event-id",
  );
  assert.equal(allowed.headers.get("access-control-max-age"), "600");
  const foreign = await send(front.url, {
    method: "OPTIONS",
    token: null,
    headers: { origin: "https://evil.example" },
  });
  assert.equal(foreign.status, 403);
  const none = await send(front.url, { method: "OPTIONS", token: null });
  assert.equal(none.status, 403);
  assert.match(refusalMessage(none.text), /preflight without an Origin/);
  assert.equal(front.received.length, 0);
});

Deno.test("serveHttp() refuses PUT on /mcp with 405 and an Allow header", async () => {
  await using front = startFront();
  const answer = await send(front.url, { method: "PUT", body: PING });
  assert.equal(answer.status, 405);
  assert.equal(answer.headers.get("allow"), "GET, POST, DELETE, OPTIONS");
  assert.match(refusalMessage(answer.text), /Cannot PUT \/mcp: use GET, POST or DELETE/);
  assert.equal(front.received.length, 0);
});

// ---------------------------------------------------------------------------------------------
// Rate limit

Deno.test("serveHttp() answers 429 with Retry-After once a caller is over the limit", async () => {
  await using front = startFront({
    rateLimit: { requests: 2, windowMs: 60_000, state: countingLimiter(1500).state },
  });
  assert.equal((await send(front.url, { body: PING })).status, 200);
  assert.equal((await send(front.url, { body: PING })).status, 200);
  const third = await send(front.url, { body: PING });
  assert.equal(third.status, 429);
  assert.equal(third.headers.get("retry-after"), "2");
  assert.match(refusalMessage(third.text), /limit is 2 per 60 seconds; retry in 2 seconds/);
  assert.equal(front.received.length, 2);
});

Deno.test("serveHttp() fails closed with 503 when the rate limit store throws", async () => {
  const broken = { hit: () => Promise.reject(new Error("ECONNREFUSED redis:6379")) };
  await using front = startFront({ rateLimit: { requests: 10, windowMs: 1000, state: broken } });
  const answer = await send(front.url, { body: PING });
  assert.equal(answer.status, 503);
  assert.equal(answer.headers.get("retry-after"), "5");
  assert.match(refusalMessage(answer.text), /state store is unavailable; retry in 5 seconds/);
  assert.doesNotMatch(answer.text, /ECONNREFUSED/);
  assert.equal(front.received.length, 0);
  assert.ok(front.logLines.some((l) => l.includes("ERROR Rate limit store failed")));
});

// ---------------------------------------------------------------------------------------------
// Body

Deno.test("serveHttp() refuses a Content-Length over the cap with 413 before reading the body", async () => {
  await using front = startFront({ maxBodyBytes: 100, bodyTimeoutMs: 60_000 });
  const big = await send(front.url, { body: "x".repeat(101) });
  assert.equal(big.status, 413);
  assert.match(refusalMessage(big.text), /larger than 100 bytes; send a smaller request/);
  // The body never arrives: had the server waited for it, this would end in a 408 a minute later.
  const declared = await rawExchange(
    front.handle.port,
    `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n` +
      "Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n",
  );
  assert.match(declared, /^HTTP\/1\.1 413/);
  assert.equal(front.received.length, 0);
});

Deno.test("serveHttp() stops a chunked body at the cap with 413", async () => {
  await using front = startFront({ maxBodyBytes: 100 });
  const body = heldStream([new Uint8Array(60).fill(32), new Uint8Array(60).fill(32)]);
  const answer = await send(front.url, { body: body.stream });
  body.end();
  assert.equal(answer.status, 413);
  assert.match(refusalMessage(answer.text), /larger than 100 bytes/);
  assert.equal(front.received.length, 0);
});

Deno.test("serveHttp() accepts a chunked body up to the cap", async () => {
  await using front = startFront({ maxBodyBytes: PING.length });
  const bytes = new TextEncoder().encode(PING);
  const body = heldStream([bytes.subarray(0, 10), bytes.subarray(10)]);
  body.end();
  const answer = await send(front.url, { body: body.stream });
  assert.equal(answer.status, 200);
  assert.equal(front.received[0]?.body, PING);
});

Deno.test("serveHttp() answers 408 when the body stalls past bodyTimeoutMs", async () => {
  await using front = startFront({ bodyTimeoutMs: 50 });
  const body = heldStream([new TextEncoder().encode('{"jsonrpc":')]);
  const answer = await send(front.url, { body: body.stream });
  body.end();
  assert.equal(answer.status, 408);
  assert.match(refusalMessage(answer.text), /did not arrive within 50 ms; send it again/);
  assert.equal(front.received.length, 0);
});

// ---------------------------------------------------------------------------------------------
// Handler failures, disconnects

Deno.test("serveHttp() answers 500 with a generic message when the handler throws", async () => {
  await using front = startFront({
    answer: () => {
      throw new Error("boom in /srv/app/handler.ts:42");
    },
  });
  const answer = await send(front.url, { body: PING });
  assert.equal(answer.status, 500);
  assert.match(
    refusalMessage(answer.text),
    /Internal error in the MCP handler: see the server log/,
  );
  assert.doesNotMatch(answer.text, /boom|handler\.ts|at /);
  const logged = front.logLines.find((l) => l.includes("ERROR MCP handler failed"));
  assert.match(logged ?? "", /boom/);
});

Deno.test("serveHttp() aborts the handler's signal when the client disconnects", async () => {
  const started = gate();
  const aborted = gate();
  await using front = startFront({
    answer: async ({ signal }) => {
      signal.addEventListener("abort", () => aborted.open());
      started.open();
      await aborted.promise;
      return new Response("too late");
    },
  });
  const client = new AbortController();
  const request = fetch(front.url, {
    method: "POST",
    body: PING,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    signal: client.signal,
  }).catch((error: Error) => error.name);
  await started.promise;
  client.abort();
  assert.equal(await request, "AbortError");
  await aborted.promise;
  assert.equal(front.received[0]?.signal.aborted, true);
});

// ---------------------------------------------------------------------------------------------
// Drain

Deno.test("drain() lets an in-flight request finish, refuses new ones and resolves finished", async () => {
  const started = gate();
  const release = gate();
  await using front = startFront({
    answer: async () => {
      started.open();
      await release.promise;
      return new Response("slow done");
    },
  });
  const slow = send(front.url, { body: PING });
  await started.promise;
  const drained = front.handle.drain(60_000);
  // Refused either at the socket (listener closed) or with 503 if it slipped in.
  const late = await send(front.url, { body: PING }).then(
    (answer) => answer,
    (error: Error) => error.name,
  );
  if (typeof late === "string") assert.equal(late, "TypeError");
  else {
    assert.equal(late.status, 503);
    assert.equal(late.headers.get("connection"), "close");
    assert.match(refusalMessage(late.text), /shutting down/);
  }
  release.open();
  const answer = await slow;
  assert.equal(answer.status, 200);
  assert.equal(answer.text, "slow done");
  await drained;
  await front.handle.finished;
  assert.equal(front.received.length, 1);
  assert.ok(front.logLines.some((l) => l.includes("draining HTTP server")));
});

Deno.test("drain() aborts an open SSE stream and a hung handler once the grace period ends", async () => {
  const streaming = gate<AbortSignal>();
  const hung = gate<AbortSignal>();
  await using front = startFront({
    answer: ({ body, signal }) => {
      if (body.includes('"hang"')) {
        hung.open(signal);
        return new Promise<Response>(() => {});
      }
      streaming.open(signal);
      const events = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("event: message\ndata: {}\n\n"));
        },
      });
      return new Response(events, { headers: { "content-type": "text/event-stream" } });
    },
  });
  const sse = await fetch(front.url, {
    method: "POST",
    body: PING,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
  });
  const reader = sse.body!.getReader();
  const first = await reader.read();
  assert.match(new TextDecoder().decode(first.value), /data: \{\}/);
  const hanging = send(front.url, { body: JSON.stringify({ method: "hang" }) });
  const hungSignal = await hung.promise;

  await front.handle.drain(20);
  const rest = await reader.read().then((r) => (r.done ? "ended" : "more"), () => "errored");
  assert.notEqual(rest, "more");
  assert.equal((await streaming.promise).aborted, true);
  assert.equal(hungSignal.aborted, true);
  const refused = await hanging;
  assert.equal(refused.status, 503);
  assert.match(refusalMessage(refused.text), /shutting down; retry/);
  await front.handle.finished;
  assert.ok(front.logLines.some((l) => l.includes("WARN Drain grace period over")));
});

// The signal test runs in a child process: a signal listener, once added, stays installed in the
// process for good, so the test runner itself would stop dying on SIGTERM.
const SIGNAL_CHILD = `
import { drainOnSignals, serveHttp } from ${
  JSON.stringify(import.meta.resolve("../src/transports/http.ts"))
};
import { createLogger } from ${JSON.stringify(import.meta.resolve("../src/log.ts"))};
const logger = createLogger({ write: (line) => console.log(line) });
const endless = () => new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("data: {}\\n\\n")); } });
const handle = serveHttp(() => Promise.resolve(new Response(endless())), {
  hostname: "127.0.0.1", port: 0, auth: { mode: "token" }, allowedOrigins: [], maxBodyBytes: 1024,
  rateLimit: { requests: 100, windowMs: 60000, state: { hit: () => Promise.resolve({ count: 1, resetInMs: 1 }) } },
  logger,
});
drainOnSignals(handle, logger, 600000);
console.log("port=" + handle.port);
await handle.finished;
console.log("finished");
`;

/** Reads `stream` line by line; `until(pattern)` resolves with the next line that matches. */
function lineReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  const pending: string[] = [];
  const seen: string[] = [];
  let partial = "";
  return {
    async until(pattern: RegExp): Promise<string> {
      for (;;) {
        const line = pending.shift();
        if (line !== undefined) {
          seen.push(line);
          if (pattern.test(line)) return line;
          continue;
        }
        const next = await reader.read();
        if (next.done) throw new Error(`Output ended before ${pattern}: ${seen.join(" | ")}`);
        const parts = (partial + next.value).split("\n");
        partial = parts.pop() ?? "";
        pending.push(...parts);
      }
    },
    release: () => reader.cancel().catch(() => {}),
  };
}

Deno.test({
  name: "drainOnSignals() drains on the first SIGTERM and aborts open streams on the second",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir();
    const script = `${dir}/child.ts`;
    await Deno.writeTextFile(script, SIGNAL_CHILD);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--no-lock", "--allow-net=127.0.0.1", "--allow-read", script],
      stdout: "piped",
      stderr: "null",
      env: { NO_COLOR: "1" },
    }).spawn();
    const out = lineReader(child.stdout);
    try {
      const port = (await out.until(/^port=\d+$/)).slice("port=".length);
      const sse = await fetch(`http://127.0.0.1:${port}/mcp`, { method: "POST", body: "{}" });
      const reader = sse.body!.getReader();
      assert.match(new TextDecoder().decode((await reader.read()).value), /data: \{\}/);

      child.kill("SIGTERM");
      assert.match(await out.until(/signal received/), /graceMs=600000/);
      child.kill("SIGTERM");
      assert.match(await out.until(/signal received/), /graceMs=0/);
      await out.until(/^finished$/);
      const rest = await reader.read().then((r) => (r.done ? "ended" : "more"), () => "errored");
      assert.notEqual(rest, "more");
      assert.equal((await child.status).code, 0);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await out.release();
      await child.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// ---------------------------------------------------------------------------------------------
// Secrets

Deno.test("serveHttp() never writes the token or a caller's key into logs or responses", async () => {
  const key = "user-runpod-key-abcdefghij";
  const seen: string[] = [];
  const collect = (answer: { status: number; headers: Headers; text: string }) => {
    seen.push(String(answer.status), answer.text, ...[...answer.headers].map(([k, v]) => k + v));
  };
  {
    await using front = startFront({
      answer: ({ body }) => {
        if (body.includes("throw")) throw new Error("handler failed");
        return Response.json({ ok: true });
      },
    });
    collect(await send(front.url, { body: PING }));
    collect(await send(front.url, { body: JSON.stringify({ throw: 1 }) }));
    collect(await send(front.url, { body: PING, token: TOKEN + "-wrong" }));
    collect(await send(front.url, { body: PING, token: null }));
    collect(await send(front.url, { method: "PUT", body: PING }));
    collect(await send(`${front.base}/healthz`, { method: "GET" }));
    collect(await send(front.url, { body: "x".repeat(5000) }));
    seen.push(...front.logLines, ...front.limiterKeys);
  }
  {
    await using front = startFront({ auth: { mode: "runpod-key" } });
    collect(await send(front.url, { body: PING, token: key }));
    collect(await send(front.url, { body: PING, token: "bad key with spaces" }));
    seen.push(...front.logLines);
  }
  const everything = seen.join("\n");
  assert.ok(everything.includes("http request"), "the access log was captured");
  assert.ok(!everything.includes(TOKEN), "the token leaked");
  assert.ok(!everything.includes(key), "the caller's RunPod key leaked");
  assert.ok(!everything.toLowerCase().includes("bearer correct"), "an Authorization header leaked");
});

// ---------------------------------------------------------------------------------------------
// The real SDK handler behind the front door

function sdkHandler() {
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: "t", version: "1" });
    server.registerTool(
      "echo",
      { description: "Echoes text back", inputSchema: z.object({ text: z.string() }) },
      ({ text }) => ({ content: [{ type: "text", text: `echo: ${text}` }] }),
    );
    return server;
  });
  const mcp: McpFetch = (request) => handler.fetch(request);
  return { handler, mcp };
}

async function listAndCall(url: string, pin?: string) {
  const client = new Client(
    { name: "front-door-test", version: "1" },
    pin ? { versionNegotiation: { mode: { pin } } } : {},
  );
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
  });
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    const result = await client.callTool({ name: "echo", arguments: { text: "hi" } });
    return { tools: tools.map((t) => t.name), content: result.content };
  } finally {
    await client.close();
  }
}

Deno.test("a real SDK client lists and calls a tool through the front door (legacy era)", async () => {
  const { handler, mcp } = sdkHandler();
  await using front = startFront({ mcp });
  try {
    const got = await listAndCall(front.url);
    assert.deepEqual(got.tools, ["echo"]);
    assert.deepEqual(got.content, [{ type: "text", text: "echo: hi" }]);
  } finally {
    await handler.close();
  }
});

Deno.test("a real SDK client lists and calls a tool through the front door (2026-07-28)", async () => {
  const { handler, mcp } = sdkHandler();
  await using front = startFront({ mcp });
  try {
    const got = await listAndCall(front.url, "2026-07-28");
    assert.deepEqual(got.tools, ["echo"]);
    assert.deepEqual(got.content, [{ type: "text", text: "echo: hi" }]);
  } finally {
    await handler.close();
  }
});

Deno.test("a real SDK client without the bearer is refused with 401 through the front door", async () => {
  const { handler, mcp } = sdkHandler();
  await using front = startFront({ mcp });
  const client = new Client({ name: "front-door-test", version: "1" });
  try {
    await assert.rejects(
      client.connect(new StreamableHTTPClientTransport(new URL(front.url))),
      /401|Unauthorized|authoriz/i,
    );
  } finally {
    await client.close();
    await handler.close();
  }
});

Deno.test("the real SDK handler answers legacy GET and DELETE on /mcp with 405, Allow: POST", async () => {
  const { handler, mcp } = sdkHandler();
  await using front = startFront({ mcp });
  try {
    const get = await send(front.url, { method: "GET", headers: { accept: "text/event-stream" } });
    const del = await send(front.url, { method: "DELETE", headers: { "mcp-session-id": "abc" } });
    for (const answer of [get, del]) {
      assert.equal(answer.status, 405);
      assert.equal(answer.headers.get("allow"), "POST");
      assert.equal(refusalMessage(answer.text), "Method not allowed.");
    }
  } finally {
    await handler.close();
  }
});
