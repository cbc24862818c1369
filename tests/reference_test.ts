import assert from "node:assert/strict";
import { ALL_PROMPTS } from "../src/prompts/mod.ts";
import { ALL_TOOLS } from "../src/tools/mod.ts";
import {
  anchorOf,
  generateReference,
  readOrUndefined,
  REFERENCE,
  REGENERATE,
} from "./_reference.ts";

const UPDATE = Deno.env.get("UPDATE_SNAPSHOTS") === "1";

Deno.test("docs/reference.md matches what the server lists", async () => {
  const { markdown } = await generateReference();
  if (UPDATE) {
    await Deno.writeTextFile(REFERENCE, markdown);
    return;
  }
  const committed = await readOrUndefined(REFERENCE);
  assert.ok(committed !== undefined, `docs/reference.md is missing: ${REGENERATE}`);
  assert.equal(committed, markdown, `docs/reference.md is stale: ${REGENERATE}, then commit it`);
});

Deno.test("the reference documents every registered tool, resource and prompt", async () => {
  const { surface, markdown } = await generateReference();
  const headings = [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]!);
  assert.deepEqual(
    surface.tools.map((t) => t.name),
    ALL_TOOLS.map((t) => t.name),
    "the server lists exactly the registry's tools",
  );
  for (const tool of ALL_TOOLS) {
    assert.ok(headings.includes(tool.name), `no section for tool ${tool.name}`);
  }
  assert.deepEqual(
    surface.prompts.map((p) => p.name),
    ALL_PROMPTS.map((p) => p.name),
    "the server lists exactly the registry's prompts",
  );
  for (const prompt of ALL_PROMPTS) {
    assert.ok(headings.includes(`Prompt ${prompt.name}`), `no section for prompt ${prompt.name}`);
  }
  assert.ok(surface.resources.length > 0 && surface.templates.length > 0);
  for (const resource of surface.resources) {
    assert.ok(markdown.includes(`| \`${resource.uri}\``), `no row for ${resource.uri}`);
  }
  for (const template of surface.templates) {
    assert.ok(
      markdown.includes(`| \`${template.uriTemplate}\``),
      `no row for ${template.uriTemplate}`,
    );
  }
});

Deno.test("every link in the reference's contents leads to a heading of its own", async () => {
  const { markdown } = await generateReference();
  const anchors = [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1]!));
  assert.equal(new Set(anchors).size, anchors.length, "two headings share an anchor");
  for (const [, target] of markdown.matchAll(/\]\(#([^)]+)\)/g)) {
    assert.ok(anchors.includes(target!), `the contents link to #${target}, which no heading has`);
  }
});
