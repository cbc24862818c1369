/**
 * The write table is the guard's single source of truth: these tests tie it to what it must cover
 * (every write in RunPod's OpenAPI document, the job API, GraphQL mutations the client sends), to
 * the tools' annotations, and to what each tool really sends; and they show a write with no row
 * is refused.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { createCallGate } from "../src/policy/call_gate.ts";
import { GuardStop } from "../src/policy/guard.ts";
import { matchWrite, mutationFields, WRITE_RULES } from "../src/policy/writes.ts";
import { jobRoutes } from "../src/sandbox/jobs.ts";
import { type PlannedRequest, RunpodClient } from "../src/runpod/mod.ts";
import { defineTool, READ_ONLY } from "../src/tools/_define.ts";
import { ALL_TOOLS } from "../src/tools/mod.ts";
import { errorText, startHarness, writes } from "./_harness.ts";
import { requireContract } from "./_openapi.ts";
import { WRITE_TOOL_CALLS, WRITE_TOOL_SERVER } from "./_write_tools.ts";

function concrete(template: string): string {
  return template.replace(/\{[^}]+\}/g, "abc123");
}

function planned(api: PlannedRequest["api"], method: string, path: string, body?: unknown) {
  return { api, method, path, query: {}, body } as PlannedRequest;
}

Deno.test("every write operation in RunPod's OpenAPI document has exactly one row", async (t) => {
  const contract = await requireContract(t);
  if (!contract) return;
  const writeOps = contract.operations().filter((op) => op.method.toUpperCase() !== "GET");
  assert.ok(writeOps.length >= 20, `only ${writeOps.length} write operations found`);
  for (const op of writeOps) {
    const method = op.method.toUpperCase();
    const rows = WRITE_RULES.filter((r) =>
      r.api === "rest" && r.method === method && r.path === op.template
    );
    assert.ok(rows.length > 0, `no row for ${method} ${op.template} (${op.operationId})`);
    assert.ok(rows.every((r) => r.operation.split(" ")[0] === op.operationId), op.operationId);
    const body = rows[0]!.bodyAction ? { action: rows[0]!.bodyAction } : {};
    assert.equal(matchWrite(planned("rest", method, concrete(op.template), body))?.rule, rows[0]);
  }
  // And no REST row names an operation the document does not have.
  for (const row of WRITE_RULES.filter((r) => r.api === "rest")) {
    assert.ok(
      contract.findOperation(row.method, concrete(row.path)),
      `row ${row.method} ${row.path} is not in the OpenAPI document`,
    );
  }
});

Deno.test("pod actions are told apart by the action in the body; an unknown action has no row", () => {
  const path = "/v2/pods/abc/action";
  const kinds = ["start", "stop", "restart", "terminate"].map((action) =>
    matchWrite(planned("rest", "POST", path, { action }))?.rule.kind
  );
  assert.deepEqual(kinds, ["billable", "destructive", "destructive", "destructive"]);
  assert.equal(matchWrite(planned("rest", "POST", path, { action: "reset" })), undefined);
  assert.equal(matchWrite(planned("rest", "POST", path, {})), undefined);
});

Deno.test("every job-API write has a row, whatever base URL precedes the endpoint id", () => {
  // /status and /stream also answer POST, but they only read; the client sends them as GET.
  const writesInApi = jobRoutes.filter((r) =>
    r.method === "POST" && !/\/(status|stream)\//.test(r.path)
  );
  assert.equal(writesInApi.length, 5);
  for (const route of writesInApi) {
    for (const base of ["/v2", "", "/proxy/runpod/v2"]) {
      const path = base + route.path.replace(/^\/v2/, "").replace(/:\w+/g, "abc123");
      const match = matchWrite(planned("jobs", "POST", path));
      assert.ok(match, `no row for POST ${path}`);
      assert.equal(match.params.endpointId, "abc123");
    }
  }
  assert.equal(matchWrite(planned("jobs", "POST", "/v2/abc/unknown-op")), undefined);
});

Deno.test("every GraphQL mutation the client sends has a row", async () => {
  const documents: string[] = [];
  for await (const file of walkTs(new URL("../src/", import.meta.url))) {
    if (file.pathname.includes("/sandbox/")) continue;
    const text = await Deno.readTextFile(file);
    const found = [
      ...text.matchAll(/`\s*(mutation\b[^`{]*\{[^`]*)`/g),
      ...text.matchAll(/"\s*(mutation\b[^"\\]*\{[^"\\]*)"/g),
    ];
    for (const m of found) documents.push(m[1]!);
  }
  for (const document of documents) {
    for (const field of mutationFields(document)) {
      assert.ok(
        WRITE_RULES.some((r) => r.api === "graphql" && r.mutation === field),
        `the client sends mutation ${field} with no row`,
      );
    }
  }
  assert.deepEqual(documents.flatMap((d) => mutationFields(d)).sort(), [
    "secretCreate",
    "secretDelete",
    "updateRegistryAuth",
  ]);
  // The parser finds the fields a mutation selects, aliases and arguments aside.
  assert.deepEqual(
    mutationFields('mutation M($v: String) { a: secretCreate(input: {name: "x"}) { id } podStop }'),
    ["secretCreate", "podStop"],
  );
});

async function* walkTs(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* walkTs(url);
    else if (entry.name.endsWith(".ts")) yield url;
  }
}

Deno.test("a GraphQL mutation with no row is refused by the gate before it is sent", async () => {
  const gate = createCallGate({
    tool: "t",
    args: {},
    guard: { dryRun: false },
    policy: { readOnly: false, confirm: "never" },
    // Never called: the gate refuses before it reads anything.
    runpod: new RunpodClient({ apiKey: "rpa_UNUSED0000", restBaseUrl: "http://127.0.0.1:9" }),
    now: () => 0,
    signal: new AbortController().signal,
  });
  const request = planned("graphql", "POST", "/graphql", {
    query: 'mutation { podTerminate(input: {podId: "abc123"}) }',
  });
  await assert.rejects(
    () => gate(request),
    (e) => e instanceof GuardStop && e.kind === "unknown-write",
  );
});

Deno.test("each tool's annotations agree with the kinds of the rows it sends", () => {
  for (const tool of ALL_TOOLS) {
    const rows = WRITE_RULES.filter((r) => r.tools.includes(tool.name));
    if (tool.annotations.readOnlyHint) {
      assert.deepEqual(rows.map((r) => r.operation), [], `read-only ${tool.name} sends writes`);
      continue;
    }
    assert.ok(rows.length > 0, `${tool.name} writes but is in no row`);
    assert.equal(
      tool.annotations.destructiveHint,
      rows.some((r) => r.kind === "destructive"),
      `${tool.name}: destructiveHint disagrees with its rows (${
        rows.map((r) => `${r.operation}=${r.kind}`).join(", ")
      })`,
    );
  }
  for (const row of WRITE_RULES) {
    for (const name of row.tools) {
      assert.ok(ALL_TOOLS.some((t) => t.name === name), `row ${row.operation} names ${name}`);
    }
  }
});

Deno.test("every write tool, called for real, sends only writes whose rows name it", async () => {
  const writeTools = ALL_TOOLS.filter((t) => !t.annotations.readOnlyHint).map((t) => t.name);
  assert.deepEqual(Object.keys(WRITE_TOOL_CALLS).sort(), writeTools.sort());
  for (const [tool, setup] of Object.entries(WRITE_TOOL_CALLS)) {
    await using h = await startHarness({ server: WRITE_TOOL_SERVER });
    const args = await setup(h);
    h.sim.clearRequests();
    const result = await h.call(tool, args);
    assert.notEqual(result.isError, true, `${tool}: ${JSON.stringify(result.content)}`);
    const sent = writes(h);
    assert.equal(sent.length, 1, `${tool} sent ${sent.length} writes`);
    for (const request of sent) {
      const api = request.api === "unknown" ? "rest" : request.api;
      const match = matchWrite(planned(api, request.method, request.path, request.body));
      assert.ok(match, `${tool} sent ${request.method} ${request.path}, which has no row`);
      assert.ok(match.rule.tools.includes(tool), `${match.rule.operation} does not list ${tool}`);
    }
  }
});

Deno.test("a tool whose write has no row is refused with a clear error and nothing is sent", async () => {
  const rogue = defineTool({
    name: "scale_widgets",
    title: "Scale widgets",
    description:
      "A tool written without a row in the write table, to prove the guard fails closed.",
    toolset: "pods",
    annotations: { ...READ_ONLY, readOnlyHint: false },
    input: {},
    output: { ok: z.boolean() },
    async run(_args, ctx) {
      await ctx.runpod.rest({ method: "POST", path: "/v2/widgets", body: {}, schema: z.unknown() });
      return { summary: "done", data: { ok: true } };
    },
  });
  await using h = await startHarness({
    server: { tools: [rogue], policy: { readOnly: false, confirm: "never" } },
  });
  const text = errorText(await h.call("scale_widgets", {}));
  assert.match(text, /no safety rule for POST \/v2\/widgets, so it refuses to send it unchecked/);
  assert.match(text, /Nothing was sent to RunPod/);
  assert.deepEqual(writes(h), []);
});
