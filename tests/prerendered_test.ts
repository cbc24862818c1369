/**
 * `src/tools/_schemas.json` holds the built-in tools' JSON Schemas rendered ahead of time, so a
 * cold start does not pay for `z.toJSONSchema` (see `src/tools/_list.ts`). This test renders them
 * again from the zod schemas and fails on any difference; `deno task snapshots` rewrites the file.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { ALL_TOOLS, type AnyTool } from "../src/tools/mod.ts";
import { inputSchemaOf, outputSchemaOf } from "../src/tools/_call.ts";
import { lazySchema, renderSchemas } from "../src/tools/_list.ts";
import { startHarness } from "./_harness.ts";

const UPDATE = Deno.env.get("UPDATE_SNAPSHOTS") === "1";
const FILE = new URL("../src/tools/_schemas.json", import.meta.url);

const rendered = () =>
  Object.fromEntries(
    ALL_TOOLS.map((tool) => [tool.name, renderSchemas(inputSchemaOf(tool), outputSchemaOf(tool))]),
  );

Deno.test("the pre-rendered tool schemas are the zod schemas, rendered", async () => {
  const fresh = rendered();
  if (UPDATE) {
    await Deno.writeTextFile(FILE, JSON.stringify(fresh, null, 2) + "\n");
    return;
  }
  const stored = JSON.parse(await Deno.readTextFile(FILE)) as Record<string, unknown>;
  assert.deepEqual(
    Object.keys(stored),
    Object.keys(fresh),
    "src/tools/_schemas.json names other tools than the registry: run `deno task snapshots`",
  );
  for (const [name, schemas] of Object.entries(fresh)) {
    assert.deepEqual(
      stored[name],
      schemas,
      `src/tools/_schemas.json is stale for ${name}: run \`deno task snapshots\` and commit it`,
    );
  }
});

Deno.test("tools/list serves the pre-rendered schemas, and renders a tool that has none", async () => {
  if (UPDATE) return;
  const stored = JSON.parse(await Deno.readTextFile(FILE)) as Record<
    string,
    { inputSchema: { properties: Record<string, unknown> }; outputSchema: unknown }
  >;
  // A test's own tool, even under a built-in name, is not the registry's object: its schemas are
  // rendered from zod, so its extra argument shows.
  const original = ALL_TOOLS.find((tool) => tool.name === "list_pods")!;
  const own = {
    ...original,
    input: { ...original.input, only_mine: z.boolean().optional().describe("A test argument") },
  } as AnyTool;
  await using builtIn = await startHarness();
  await using custom = await startHarness({ server: { tools: [own] } });
  const served = (await builtIn.client.listTools()).tools.find((t) => t.name === "list_pods")!;
  const [ownServed] = (await custom.client.listTools()).tools;
  assert.deepEqual(served.inputSchema, stored.list_pods!.inputSchema);
  assert.deepEqual(served.outputSchema, stored.list_pods!.outputSchema);
  assert.deepEqual(Object.keys(ownServed!.inputSchema.properties ?? {}), [
    ...Object.keys(stored.list_pods!.inputSchema.properties),
    "only_mine",
  ]);
  assert.deepEqual(ownServed!.outputSchema, served.outputSchema);
});

Deno.test("lazySchema builds its zod schema on the first validation only, and gives its JSON as is", async () => {
  let builds = 0;
  const json = { type: "object", properties: { pod_id: { type: "string" } } };
  const schema = lazySchema(() => {
    builds++;
    return z.strictObject({ pod_id: z.string() });
  }, () => json);
  const std = schema["~standard"];
  assert.equal(std.jsonSchema.input({ target: "draft-2020-12" }), json);
  assert.equal(std.jsonSchema.output({ target: "draft-2020-12" }), json);
  assert.equal(builds, 0, "asking for the JSON Schema built the zod schema");
  const good = await std.validate({ pod_id: "abc" });
  assert.deepEqual(good, { value: { pod_id: "abc" } });
  const bad = await std.validate({ pod_id: "abc", podid: "x" });
  assert.ok("issues" in bad && bad.issues && bad.issues.length > 0);
  assert.equal(builds, 1, "the zod schema is built once and kept");
});
