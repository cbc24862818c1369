import assert from "node:assert/strict";
import type { Transport } from "../src/deps.ts";
import { announceIfTerminal, TERMINAL_NOTICE, watchListens } from "../src/transports/stdio.ts";
import { run } from "./_spawn.ts";

Deno.test("announceIfTerminal() tells a person at a terminal how to connect a client", () => {
  const lines: string[] = [];
  const wrote = announceIfTerminal({ isTerminal: () => true, writeError: (l) => lines.push(l) });
  assert.equal(wrote, true);
  assert.deepEqual(lines, [TERMINAL_NOTICE]);
  assert.match(TERMINAL_NOTICE, /MCP server/);
  assert.match(TERMINAL_NOTICE, /stdin\/stdout/);
  assert.match(TERMINAL_NOTICE, /Clients/);
  assert.match(TERMINAL_NOTICE, /Inspector/);
  assert.ok(TERMINAL_NOTICE.split("\n").length <= 2, "one or two lines");
});

Deno.test("announceIfTerminal() stays silent when stdin is not a terminal", () => {
  const lines: string[] = [];
  const wrote = announceIfTerminal({ isTerminal: () => false, writeError: (l) => lines.push(l) });
  assert.equal(wrote, false);
  assert.deepEqual(lines, []);
});

// A spawned child cannot be given a terminal here (no pty), so the terminal branch is covered by
// the injected check above; this covers the real check's answer for a client's pipe.
Deno.test("main.ts started with stdin not a terminal prints no notice, on stdout or stderr", async () => {
  const result = await run(["run", "-A", "main.ts", "--sandbox"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /runpod-mcp starting/, "the server did start");
  assert.ok(!result.stderr.includes(TERMINAL_NOTICE.slice(0, 40)));
  assert.equal(result.stdout, "");
});

Deno.test("watchListens sees listen streams open and close, and passes every message through", () => {
  const seen: unknown[] = [];
  const inner: Transport = {
    start: () => Promise.resolve(),
    send: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  let open = 0;
  const wrapped = watchListens(inner, () => {
    open++;
    return () => open--;
  });
  let closedByEntry = false;
  wrapped.onmessage = (message) => seen.push(message);
  wrapped.onclose = () => (closedByEntry = true);
  const deliver = (message: Record<string, unknown>) =>
    inner.onmessage?.({ jsonrpc: "2.0", ...message } as never);

  deliver({ id: 1, method: "subscriptions/listen", params: {} });
  deliver({ id: 1, method: "subscriptions/listen", params: {} }); // a repeated id is one stream
  deliver({ id: 2, method: "subscriptions/listen", params: {} });
  assert.equal(open, 2);
  deliver({ method: "notifications/cancelled", params: { requestId: 1 } });
  assert.equal(open, 1);
  deliver({ method: "notifications/cancelled", params: { requestId: 1 } }); // already gone
  assert.equal(open, 1);
  deliver({ id: 3, method: "tools/list", params: {} });
  assert.equal(open, 1, "other requests open nothing");
  assert.equal(seen.length, 6, "every message reaches the entry unchanged");
  inner.onclose?.();
  assert.equal(open, 0, "the connection closing releases every stream");
  assert.ok(closedByEntry, "the entry still hears the close");
});
