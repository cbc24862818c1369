import assert from "node:assert/strict";
import { announceIfTerminal, TERMINAL_NOTICE } from "../src/transports/stdio.ts";
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
