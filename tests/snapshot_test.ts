import assert from "node:assert/strict";
import { selectTools, type ToolSelection } from "../src/tools/mod.ts";
import { startHarness } from "./_harness.ts";
import { listSurface, readOrUndefined, REFERENCE, renderReference } from "./_reference.ts";
import { renderSafetyTable, SAFETY_END, SAFETY_START } from "./_safety_table.ts";
import {
  currentSection,
  currentToolTable,
  renderToolTable,
  tableCells,
  withSection,
  withToolTable,
} from "./_tool_table.ts";

const UPDATE = Deno.env.get("UPDATE_SNAPSHOTS") === "1";
const SNAPSHOT = new URL("./__snapshots__/tools.json", import.meta.url);
const README = new URL("../README.md", import.meta.url);

Deno.test("tools/list matches the committed schema snapshot", async () => {
  await using h = await startHarness();
  const { tools } = await h.client.listTools();
  const actual = JSON.stringify(tools, null, 2) + "\n";
  if (UPDATE) {
    await Deno.writeTextFile(SNAPSHOT, actual);
    return;
  }
  const expected = await readOrUndefined(SNAPSHOT);
  assert.ok(
    expected !== undefined,
    "tests/__snapshots__/tools.json is missing: run `deno task snapshots` and commit it",
  );
  assert.equal(
    actual,
    expected,
    "The tool schemas changed: review the diff, run `deno task snapshots` and commit the snapshot",
  );
});

Deno.test("README tool table matches the registry", async () => {
  const readme = await Deno.readTextFile(README);
  if (UPDATE) {
    await Deno.writeTextFile(README, withToolTable(readme));
    return;
  }
  const current = currentToolTable(readme);
  assert.ok(current !== undefined, "README.md lost its tool table markers");
  assert.deepEqual(
    tableCells(current),
    tableCells(renderToolTable()),
    "README's tool table is stale: run `deno task snapshots`",
  );
});

Deno.test("README Safety table matches the write table the guard enforces", async () => {
  const readme = await Deno.readTextFile(README);
  if (UPDATE) {
    await Deno.writeTextFile(
      README,
      withSection(readme, renderSafetyTable(), SAFETY_START, SAFETY_END),
    );
    return;
  }
  const current = currentSection(readme, SAFETY_START, SAFETY_END);
  assert.ok(current !== undefined, "README.md lost its Safety table markers");
  assert.deepEqual(
    tableCells(current),
    tableCells(renderSafetyTable()),
    "README's Safety table is stale: run `deno task snapshots`",
  );
});

// Written unformatted: the snapshots task runs `deno fmt` on it next, as on README.md (this task
// has no --allow-run to format it here). tests/reference_test.ts checks it.
if (UPDATE) {
  Deno.test("docs/reference.md is rewritten from what the server lists", async () => {
    await Deno.writeTextFile(REFERENCE, await renderReference(await listSurface()));
  });
}

const SELECTIONS = new URL("./__snapshots__/toolsets.json", import.meta.url);

Deno.test("tools/list for several --toolsets, --tools, --exclude-tools and --read-only choices", async () => {
  const choices: Record<string, ToolSelection> = {
    "--toolsets catalog": { toolsets: ["catalog"] },
    "--toolsets pods --exclude-tools terminate_pod": {
      toolsets: ["pods"],
      excludeTools: ["terminate_pod"],
    },
    "--toolsets billing --tools list_pods,get_pod": {
      toolsets: ["billing"],
      tools: ["list_pods", "get_pod"],
    },
    "--read-only": { readOnly: true },
    "--read-only --toolsets serverless": { readOnly: true, toolsets: ["serverless"] },
  };
  const listed: Record<string, string[]> = {};
  for (const [label, selection] of Object.entries(choices)) {
    await using h = await startHarness({ server: { tools: selectTools(selection) } });
    listed[label] = (await h.client.listTools()).tools.map((t) => t.name);
  }
  const actual = JSON.stringify(listed, null, 2) + "\n";
  if (UPDATE) {
    await Deno.writeTextFile(SELECTIONS, actual);
    return;
  }
  const expected = await readOrUndefined(SELECTIONS);
  assert.ok(
    expected !== undefined,
    "tests/__snapshots__/toolsets.json is missing: run `deno task snapshots`",
  );
  assert.equal(
    actual,
    expected,
    "Tool selection changed: review, run `deno task snapshots`, commit",
  );
});
