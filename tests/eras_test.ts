import assert from "node:assert/strict";
import type { CallToolResult } from "../src/deps.ts";
import { startHarness, textOf, writes } from "./_harness.ts";
import { IMAGE } from "./_write_tools.ts";

const POD_ARGS = { name: "asked", image: IMAGE, gpu_type: "RTX 4090" };

/** The JSON-RPC answer in a Streamable HTTP response: a JSON body or the last SSE message. */
async function answerOf(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  if (response.headers.get("content-type")?.includes("text/event-stream")) {
    const data = text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
    return JSON.parse(data.at(-1) ?? "{}");
  }
  return JSON.parse(text);
}

Deno.test("2026 era: a confirmation is an input_required round bound to the call, spent once", async () => {
  const posted: { headers: Record<string, string>; body: unknown }[] = [];
  await using h = await startHarness({
    era: "modern",
    posted,
    clientCapabilities: { elicitation: { form: {} } },
    server: { policy: { readOnly: false, confirm: "billable-and-destructive" } },
  });
  const questions: string[] = [];
  h.client.setRequestHandler("elicitation/create", (request) => {
    questions.push(request.params.message);
    return { action: "accept", content: { confirm: true } };
  });
  const result = await h.call("create_pod", POD_ARGS) as CallToolResult;
  assert.notEqual(result.isError, true, textOf(result));
  assert.equal(writes(h).length, 1, "yes sends exactly one create");
  assert.equal(questions.length, 1);
  assert.match(questions[0]!, /runpod-mcp wants to create pod "asked".*\$.*Allow it\?/);

  // The client answered by retrying the call with the answer and the server's request state.
  const calls = posted.filter((m) => (m.body as { method?: string }).method === "tools/call");
  assert.equal(calls.length, 2, "the call, then its retry with the answer");
  const headers = calls[1]!.headers;
  const retry = calls[1]!.body as { params: Record<string, unknown> };
  assert.equal(typeof retry.params.requestState, "string");
  assert.ok(retry.params.inputResponses);

  // Replaying the answered retry (same state, same yes) does not create a second pod: the state
  // was spent, so the server asks again.
  const replay = await h.mcpFetch!(
    new Request("http://runpod-mcp.test/mcp", {
      method: "POST",
      headers,
      body: JSON.stringify({ ...retry, id: 999 }),
    }),
  );
  const answer = await answerOf(replay);
  const replayed = answer.result as Record<string, unknown>;
  assert.equal(replayed.resultType, "input_required", JSON.stringify(answer));
  assert.equal(writes(h).length, 1, "a replayed yes sends nothing");

  // The state is bound to the arguments: the same yes with another name is asked again too.
  const altered = structuredClone(retry) as { params: { arguments: Record<string, unknown> } };
  altered.params.arguments = { ...altered.params.arguments, name: "other" };
  const second = await answerOf(
    await h.mcpFetch!(
      new Request("http://runpod-mcp.test/mcp", {
        method: "POST",
        headers,
        body: JSON.stringify({ ...altered, id: 1000 }),
      }),
    ),
  );
  assert.equal((second.result as Record<string, unknown>).resultType, "input_required");
  assert.equal(writes(h).length, 1, "an answer for other arguments sends nothing");
});

Deno.test("2026 era: declining the input request sends nothing and says so", async () => {
  await using h = await startHarness({
    era: "modern",
    clientCapabilities: { elicitation: { form: {} } },
    server: { policy: { readOnly: false, confirm: "billable-and-destructive" } },
  });
  h.client.setRequestHandler("elicitation/create", () => ({ action: "decline" }));
  const result = await h.call("create_pod", POD_ARGS);
  assert.equal(result.isError, true);
  assert.match(textOf(result), /The user declined the confirmation.*Nothing was sent to RunPod/);
  assert.equal(writes(h).length, 0);
});

Deno.test("2026 era without form elicitation: the confirmation token path, as for Claude Desktop", async () => {
  await using h = await startHarness({
    era: "modern",
    server: { policy: { readOnly: false, confirm: "billable-and-destructive" } },
  });
  const first = await h.call("create_pod", POD_ARGS);
  const token = (first.structuredContent as { guard?: { token?: string } }).guard?.token;
  assert.ok(token, textOf(first));
  assert.equal(writes(h).length, 0);
  const second = await h.call("create_pod", { ...POD_ARGS, confirmation_token: token });
  assert.notEqual(second.isError, true, textOf(second));
  assert.equal(writes(h).length, 1);
});
