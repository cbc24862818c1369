/**
 * Proves the SDK is really type-checked through src/deps.ts (SDK issue #2701): a handler whose
 * argument is misused must fail `deno check`, and the same handler written correctly must pass.
 */
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { ROOT, run } from "./_spawn.ts";

async function checkHandler(body: string): Promise<{ code: number; stderr: string }> {
  const dir = new URL("tests/", ROOT);
  const file = await Deno.makeTempFile({
    dir: fileURLToPath(dir),
    prefix: "_typecheck_",
    suffix: ".ts",
  });
  try {
    await Deno.writeTextFile(
      file,
      `import { McpServer } from "../src/deps.ts";
import { z } from "zod";
const server = new McpServer({ name: "t", version: "1" });
server.registerTool("t", { inputSchema: { count: z.number() } }, ({ count }) => ${body});
`,
    );
    const result = await run(["check", "--quiet", file]);
    return { code: result.code, stderr: result.stderr };
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("deno check rejects a tool handler that misuses its typed arguments", async () => {
  const bad = await checkHandler(`({ content: [{ type: "text", text: count.toUpperCase() }] })`);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /toUpperCase/);
  assert.match(bad.stderr, /does not exist on type 'number'/);
});

Deno.test("deno check accepts the same handler written correctly", async () => {
  const good = await checkHandler(`({ content: [{ type: "text", text: String(count + 1) }] })`);
  assert.equal(good.code, 0, good.stderr);
});
