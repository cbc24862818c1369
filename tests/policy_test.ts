import assert from "node:assert/strict";
import type { CallToolResult } from "../src/deps.ts";
import type { PolicyOptions } from "../src/policy/guard.ts";
import { WRITE_RULES } from "../src/policy/writes.ts";
import { selectTools } from "../src/tools/mod.ts";
import {
  dataOf,
  type Harness,
  seedPod,
  simRequest,
  startHarness,
  textOf,
  writes,
} from "./_harness.ts";
import { IMAGE, RTX4090, seedEndpoint, WRITE_TOOL_CALLS } from "./_write_tools.ts";

const CONFIRMING: PolicyOptions = { readOnly: false, confirm: "billable-and-destructive" };
const POD_ARGS = {
  name: "guarded",
  image: IMAGE,
  gpu_type: "RTX 4090",
  env: { HF_TOKEN: "hf_abcdefghijklmnopqrstuvwx" },
};

/** Requests that change RunPod state (GraphQL POSTs are reads here). */

interface GuardData {
  status: "dry_run" | "confirmation_required";
  action: string;
  kind: string;
  cost: string;
  usd_per_hour?: number;
  verdict?: string;
  request?: Record<string, unknown>;
  token?: string;
  expires_at?: string;
  approves?: Record<string, unknown>;
  previous_token?: string;
}

/** The guard's structured answer: a normal result (not an error) carrying `guard`. */
function guardOf(result: CallToolResult): GuardData {
  assert.notEqual(result.isError, true, `expected a guard answer, got an error: ${textOf(result)}`);
  const guard = (result.structuredContent as { guard?: GuardData } | undefined)?.guard;
  assert.ok(guard, `no structured guard answer in: ${textOf(result)}`);
  assert.match(textOf(result), /Nothing was sent to RunPod|nothing was sent to RunPod/);
  return guard;
}

/** The token a confirmation request carries, read as data; the text names the same one. */
function tokenOf(result: CallToolResult): string {
  const token = guardOf(result).token;
  assert.ok(token, `no confirmation token in: ${textOf(result)}`);
  assert.ok(textOf(result).includes(`confirmation_token="${token}"`));
  return token;
}

async function http(h: Harness, method: string, path: string, body?: unknown) {
  const { status, json } = await simRequest(h, method, path, body);
  assert.ok(status < 300, `${method} ${path}: ${status} ${JSON.stringify(json)}`);
  return json;
}

async function catalogPrice(h: Harness) {
  const gpu = await http(h, "GET", `/v2/catalog/gpus/${encodeURIComponent(RTX4090)}`);
  return gpu.price.secure as number;
}

Deno.test("without elicitation, create_pod returns a token first and proceeds only with it", async () => {
  await using h = await startHarness({ server: { policy: CONFIRMING } });
  const first = await h.call("create_pod", POD_ARGS);
  const guard = guardOf(first);
  assert.equal(guard.status, "confirmation_required");
  assert.equal(guard.kind, "billable");
  assert.equal(guard.usd_per_hour, await catalogPrice(h));
  // The arguments as the tool reads them, defaults filled in, secrets masked.
  assert.deepEqual(guard.approves, {
    ...POD_ARGS,
    env: { HF_TOKEN: "[masked]" },
    cloud: "SECURE",
    gpu_count: 1,
    start_ssh: true,
    volume_mount_path: "/workspace",
  });
  assert.equal(
    Date.parse(guard.expires_at ?? ""),
    Math.floor((h.sim.now() + 10 * 60_000) / 1000) * 1000,
  );
  const text = textOf(first);
  assert.match(
    text,
    /^Confirmation needed: create_pod would create pod "guarded" with 1× NVIDIA GeForce RTX 4090 on SECURE cloud, about \$\d+\.\d\d\/h\. Nothing was sent to RunPod\./,
  );
  assert.deepEqual(writes(h), []);

  const second = await h.call("create_pod", { ...POD_ARGS, confirmation_token: tokenOf(first) });
  assert.notEqual(second.isError, true, textOf(second));
  assert.equal(writes(h).length, 1);
  assert.equal(writes(h)[0]?.path, "/v2/pods");
  assert.equal(h.sim.state.pods.size, 1);

  // The token confirmed one call; a replay asks again and creates nothing.
  const replay = await h.call("create_pod", { ...POD_ARGS, confirmation_token: tokenOf(first) });
  assert.match(textOf(replay), /already used/);
  assert.equal(guardOf(replay).previous_token, "used");
  assert.equal(writes(h).length, 1);
});

Deno.test("a token does not carry over to changed arguments, a tampered token, or after 10 minutes", async () => {
  await using h = await startHarness({ server: { policy: CONFIRMING } });
  const token = tokenOf(await h.call("create_pod", POD_ARGS));

  const changed = await h.call("create_pod", {
    ...POD_ARGS,
    gpu_count: 2,
    confirmation_token: token,
  });
  assert.match(textOf(changed), /does not match these arguments/);

  const signature = token.split(".")[2]!;
  const flipped = signature[5] === "A" ? "B" : "A";
  const tamperedToken = token.slice(0, token.length - signature.length) + signature.slice(0, 5) +
    flipped +
    signature.slice(6);
  const tampered = await h.call("create_pod", { ...POD_ARGS, confirmation_token: tamperedToken });
  assert.match(textOf(tampered), /does not match these arguments/);

  const [expires, nonce] = token.split(".");
  const extended = await h.call("create_pod", {
    ...POD_ARGS,
    confirmation_token: `${Number(expires) + 3600}.${nonce}.${signature}`,
  });
  assert.match(textOf(extended), /does not match these arguments/, "the expiry is signed too");

  const garbage = await h.call("create_pod", { ...POD_ARGS, confirmation_token: "yes please" });
  assert.match(textOf(garbage), /not one this server issued/);

  // The same signature spelled differently (base64's spare bits in the last character).
  const last = signature.at(-1)!;
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
  const respelled = await h.call("create_pod", {
    ...POD_ARGS,
    confirmation_token: token.slice(0, -1) + sibling,
  });
  assert.match(textOf(respelled), /not one this server issued/);

  h.sim.advance(11 * 60_000);
  const expired = await h.call("create_pod", { ...POD_ARGS, confirmation_token: token });
  assert.match(textOf(expired), /has expired/);
  assert.deepEqual(writes(h), []);
});

function answering(action: "accept" | "decline" | "cancel", confirm = true) {
  const asked: string[] = [];
  return {
    asked,
    install(h: Harness) {
      h.client.setRequestHandler("elicitation/create", (request) => {
        asked.push(request.params.message);
        return action === "accept" ? { action, content: { confirm } } : { action };
      });
    },
  };
}

Deno.test("with elicitation, accepting sends exactly one request and declining or cancelling none", async () => {
  for (
    const [action, confirm, expectWrites] of [
      ["accept", true, 1],
      ["accept", false, 0],
      ["decline", true, 0],
      ["cancel", true, 0],
    ] as const
  ) {
    await using h = await startHarness({
      server: { policy: CONFIRMING },
      clientCapabilities: { elicitation: {} },
    });
    const answer = answering(action, confirm);
    answer.install(h);
    const result = await h.call("create_pod", POD_ARGS);
    assert.equal(answer.asked.length, 1);
    assert.match(
      answer.asked[0] ?? "",
      /wants to create pod "guarded" with 1× NVIDIA GeForce RTX 4090 on SECURE cloud \(about \$\d+\.\d\d\/h\)\. Allow it\?/,
    );
    assert.equal(writes(h).length, expectWrites, `${action} ${confirm}`);
    if (expectWrites === 0) {
      assert.equal(result.isError, true);
      assert.match(textOf(result), /did not create pod .*Nothing was sent to RunPod/);
    } else {
      assert.notEqual(result.isError, true);
    }
  }
});

Deno.test("dry_run shows the exact masked request and the estimate, and sends nothing", async () => {
  await using h = await startHarness({ server: { policy: CONFIRMING } });
  const result = await h.call("create_pod", { ...POD_ARGS, dry_run: true });
  const details = guardOf(result);
  assert.equal(details.status, "dry_run");
  const text = textOf(result);
  assert.match(
    text,
    /^DRY RUN: nothing was sent to RunPod\. create_pod would create pod "guarded"/,
  );
  assert.match(text, /would ask the user for confirmation first/);
  assert.deepEqual(details.request, {
    method: "POST",
    path: "/v2/pods",
    body: {
      name: "guarded",
      image: IMAGE,
      cloud: "SECURE",
      gpu: { id: RTX4090, count: 1 },
      env: { HF_TOKEN: "[masked]", RUNPOD_MCP_MANAGED: "1" },
      startSsh: true,
    },
  });
  assert.equal(details.usd_per_hour, await catalogPrice(h));
  assert.equal(details.verdict, "would ask the user for confirmation first");
  assert.ok(!text.includes("hf_abcdefghij"));
  assert.deepEqual(writes(h), []);
});

Deno.test("caps refuse before anything reaches RunPod, stating the cap, the estimate and the flag", async () => {
  const cases: [Partial<PolicyOptions>, Record<string, unknown>, RegExp][] = [
    [
      { maxHourlyCost: 0.1 },
      POD_ARGS,
      /about \$\d+\.\d\d\/h, above the per-resource cap of \$0\.10\/h \(--max-hourly-cost, env RUNPOD_MCP_MAX_HOURLY_COST\)/,
    ],
    [
      { maxGpuCount: 1 },
      { ...POD_ARGS, gpu_count: 2 },
      /asks for 2 GPUs, above the cap of 1 \(--max-gpu-count/,
    ],
    [
      { allowedGpuTypes: ["RTX A4000"] },
      POD_ARGS,
      /NVIDIA GeForce RTX 4090, which is not in the allowed GPU types \(RTX A4000; --allowed-gpu-types/,
    ],
    [
      { allowedDataCenters: ["EU-RO-1"] },
      POD_ARGS,
      /may only be placed in EU-RO-1 .*pass data_center_ids/,
    ],
    [
      { allowedDataCenters: ["EU-RO-1"] },
      { ...POD_ARGS, data_center_ids: ["US-KS-2"] },
      /US-KS-2 is not among the allowed data centers/,
    ],
  ];
  for (const [caps, args, expected] of cases) {
    await using h = await startHarness({
      server: { policy: { readOnly: false, confirm: "never", ...caps } },
    });
    const result = await h.call("create_pod", args);
    assert.equal(result.isError, true, JSON.stringify(caps));
    assert.match(textOf(result), expected);
    assert.match(textOf(result), /Nothing was sent to RunPod/);
    assert.deepEqual(writes(h), [], JSON.stringify(caps));
  }
});

Deno.test("caps that hold let the call through: allowed names match ids, allowed data centers pass", async () => {
  await using h = await startHarness({
    server: {
      policy: {
        readOnly: false,
        confirm: "never",
        maxHourlyCost: 5,
        maxGpuCount: 2,
        allowedGpuTypes: ["RTX 4090"],
        allowedDataCenters: ["US-KS-2", "EU-RO-1"],
      },
    },
  });
  const result = await h.call("create_pod", {
    ...POD_ARGS,
    gpu_count: 2,
    data_center_ids: ["US-KS-2"],
  });
  assert.notEqual(result.isError, true, textOf(result));
  assert.equal(writes(h).length, 1);
});

Deno.test("the total hourly cap counts what already burns", async () => {
  await using h = await startHarness({
    server: { policy: { readOnly: false, confirm: "never", maxTotalHourlyCost: 1 } },
  });
  const running = await seedPod(h, { name: "busy", image: IMAGE, gpu: { id: RTX4090, count: 1 } });
  h.sim.advance(10 * 60_000);
  assert.ok(h.sim.state.pods.get(running.id)?.costPerHour);
  h.sim.clearRequests();
  const result = await h.call("create_pod", POD_ARGS);
  assert.match(
    textOf(result),
    /the account already burns \$\d+\.\d\d\/h \(pods still starting count\), and this adds about \$\d+\.\d\d\/h, above the total cap of \$1\.00\/h/,
  );
  assert.deepEqual(writes(h), []);
  assert.ok(h.sim.requests.some((r) => r.api === "graphql"), "current spend read from RunPod");
});

Deno.test("endpoint caps: workers and the worst-case hourly cost", async () => {
  await using h = await startHarness({
    server: { policy: { readOnly: false, confirm: "never", maxWorkers: 2, maxHourlyCost: 100 } },
  });
  const tooMany = await h.call("create_endpoint", {
    name: "ep",
    image: IMAGE,
    gpu_types: ["RTX 4090"],
    workers_max: 5,
  });
  assert.match(textOf(tooMany), /workers_max 5 is above the cap of 2 \(--max-workers/);
  assert.deepEqual(writes(h), []);
});

/** Builds each guarded tool's arguments, seeding what it acts on. */
/** Every write tool the default --confirm mode asks about: those that send a non-plain write. */
const GUARDED = Object.fromEntries(
  Object.entries(WRITE_TOOL_CALLS).filter(([name]) =>
    WRITE_RULES.some((rule) => rule.tools.includes(name) && rule.kind !== "plain")
  ),
);

Deno.test("every guarded tool: dry run and an unconfirmed call send nothing; the token sends one request", async () => {
  assert.deepEqual(Object.keys(GUARDED).sort(), [
    "add_ssh_key",
    "create_cluster",
    "create_endpoint",
    "create_network_volume",
    "create_pod",
    "delete_cluster",
    "delete_endpoint",
    "delete_network_volume",
    "delete_registry",
    "delete_secret",
    "delete_template",
    "purge_queue",
    "remove_ssh_key",
    "restart_pod",
    "revoke_ecr_delegation",
    "start_pod",
    "stop_pod",
    "terminate_pod",
    "update_endpoint",
    "update_network_volume",
    "update_pod",
    "update_registry",
    "update_template",
  ]);
  for (const [tool, setup] of Object.entries(GUARDED)) {
    await using h = await startHarness({ server: { policy: CONFIRMING } });
    const args = await setup(h);
    h.sim.clearRequests();

    const dry = await h.call(tool, { ...args, dry_run: true });
    assert.match(textOf(dry), /^DRY RUN: nothing was sent/, tool);
    assert.deepEqual(writes(h), [], `${tool} dry run`);

    const unconfirmed = await h.call(tool, args);
    assert.match(textOf(unconfirmed), /^Confirmation needed: /, tool);
    assert.deepEqual(writes(h), [], `${tool} unconfirmed`);

    const confirmed = await h.call(tool, {
      ...args,
      confirmation_token: tokenOf(unconfirmed),
    });
    assert.notEqual(confirmed.isError, true, `${tool}: ${textOf(confirmed)}`);
    assert.equal(writes(h).length, 1, `${tool} confirmed`);
  }
});

Deno.test("--confirm destructive asks only before destructive calls; never asks nothing", async () => {
  await using h = await startHarness({
    server: { policy: { readOnly: false, confirm: "destructive" } },
  });
  const created = dataOf<{ pod: { id: string } }>(await h.call("create_pod", POD_ARGS));
  const terminate = await h.call("terminate_pod", { pod_id: created.pod.id });
  assert.match(textOf(terminate), /^Confirmation needed: terminate_pod would terminate pod/);
  assert.equal(writes(h).length, 1);

  await using free = await startHarness({
    server: { policy: { readOnly: false, confirm: "never" } },
  });
  const pod = dataOf<{ pod: { id: string } }>(await free.call("create_pod", POD_ARGS)).pod;
  dataOf(await free.call("terminate_pod", { pod_id: pod.id }));
  assert.equal(writes(free).length, 2);
});

Deno.test("updates that do not raise cost, and plain writes, go through without asking", async () => {
  await using h = await startHarness({ server: { policy: CONFIRMING } });
  const ep = { id: await seedEndpoint(h) };
  const pod = await seedPod(h, { name: "p", image: IMAGE, gpu: { id: RTX4090, count: 1 } });
  h.sim.clearRequests();
  dataOf(await h.call("update_endpoint", { endpoint_id: ep.id, workers_max: 1 }));
  dataOf(await h.call("create_template", { name: "t2", image: IMAGE }));
  assert.equal(writes(h).length, 2);
  // A destructive update still asks: RunPod restarts the pod to apply it.
  const asked = await h.call("update_pod", { pod_id: pod.id, name: "renamed" });
  assert.equal(guardOf(asked).status, "confirmation_required");
  assert.equal(writes(h).length, 2);
});

Deno.test("read-only mode lists only read tools, and the guard refuses any write that slips through", async () => {
  const readOnly = selectTools({ readOnly: true });
  await using h = await startHarness({
    server: { policy: { readOnly: true, confirm: "never" }, tools: readOnly },
  });
  const { tools } = await h.client.listTools();
  assert.ok(tools.length > 10);
  assert.ok(tools.every((t) => t.annotations?.readOnlyHint === true));
  assert.ok(!tools.some((t) => t.name === "create_pod"));
  // An unknown tool is a protocol error (SDK 2.x), not a tool result.
  await assert.rejects(() => h.call("create_pod", POD_ARGS), /Tool create_pod not found/);

  // Defense in depth: a mutating tool registered by mistake still cannot write.
  await using leaky = await startHarness({
    server: { policy: { readOnly: true, confirm: "never" } },
  });
  const refused = await leaky.call("create_pod", POD_ARGS);
  assert.match(textOf(refused), /read-only mode \(--read-only\).*Nothing was sent to RunPod/);
  assert.deepEqual(writes(leaky), []);
});

async function podScenario(
  h: Harness,
  confirm: (tool: string, args: Record<string, unknown>) => Promise<unknown>,
) {
  const pick = dataOf<{ gpus: { id: string; vram_gb: number }[] }>(
    await h.call("list_gpu_types", { min_vram_gb: 24, available_only: true }),
  ).gpus.find((g) => g.vram_gb === 24);
  assert.ok(pick);
  const created = await confirm("create_pod", {
    name: "scenario",
    image: IMAGE,
    gpu_type: pick.id,
  }) as {
    pod: { id: string };
  };
  const id = created.pod.id;
  assert.equal(
    dataOf<{ outcome: string }>(await h.call("wait_for_pod", { pod_id: id })).outcome,
    "ready",
  );
  await confirm("stop_pod", { pod_id: id });
  await confirm("start_pod", { pod_id: id });
  await confirm("terminate_pod", { pod_id: id });
  assert.equal(dataOf<{ count: number }>(await h.call("list_pods")).count, 0);
  assert.deepEqual(
    writes(h).map((r) => [r.method, r.path, (r.body as { action?: string } | undefined)?.action]),
    [
      ["POST", "/v2/pods", undefined],
      ["POST", `/v2/pods/${id}/action`, "stop"],
      ["POST", `/v2/pods/${id}/action`, "start"],
      ["POST", `/v2/pods/${id}/action`, "terminate"],
    ],
  );
}

Deno.test("scenario with an elicitation client: create → wait → stop → start → terminate, asked four times", async () => {
  await using h = await startHarness({
    server: { policy: CONFIRMING },
    clientCapabilities: { elicitation: {} },
  });
  const answer = answering("accept");
  answer.install(h);
  await podScenario(h, async (tool, args) => dataOf(await h.call(tool, args)));
  assert.equal(answer.asked.length, 4, "create, stop (wipes the container disk), start, terminate");
  assert.match(answer.asked[1] ?? "", /stop pod .*container disk is wiped/);
  assert.match(answer.asked[3] ?? "", /terminate pod/);
});

Deno.test("scenario with a client without elicitation: the same flow through confirmation tokens", async () => {
  await using h = await startHarness({ server: { policy: CONFIRMING } });
  let tokens = 0;
  await podScenario(h, async (tool, args) => {
    const first = await h.call(tool, args);
    assert.match(textOf(first), /^Confirmation needed/);
    tokens++;
    return dataOf(await h.call(tool, { ...args, confirmation_token: tokenOf(first) }));
  });
  assert.equal(tokens, 4);
});

const BILLABLE = new Set(
  WRITE_RULES.filter((r) => r.kind === "billable" || r.kind === "billable-if-raised")
    .flatMap((r) => r.tools),
);

Deno.test("every guarded tool: elicitation accept sends one request, decline none; caps refuse billable ones", async () => {
  for (const [tool, setup] of Object.entries(GUARDED)) {
    for (const action of ["accept", "decline"] as const) {
      await using h = await startHarness({
        server: { policy: CONFIRMING },
        clientCapabilities: { elicitation: {} },
      });
      const answer = answering(action);
      answer.install(h);
      const args = await setup(h);
      h.sim.clearRequests();
      const result = await h.call(tool, args);
      assert.equal(answer.asked.length, 1, `${tool} ${action}: asked once`);
      assert.equal(writes(h).length, action === "accept" ? 1 : 0, `${tool} ${action}`);
      assert.equal(
        result.isError === true,
        action === "decline",
        `${tool} ${action}: ${textOf(result)}`,
      );
    }
    if (BILLABLE.has(tool)) {
      await using h = await startHarness({
        server: { policy: { readOnly: false, confirm: "never", maxHourlyCost: 0.0001 } },
      });
      const args = await setup(h);
      h.sim.clearRequests();
      const refused = await h.call(tool, args);
      assert.match(textOf(refused), /above the per-resource cap of \$0\.00\/h/, tool);
      assert.deepEqual(writes(h), [], `${tool} capped`);
    }
  }
});

Deno.test("one token sent with many parallel calls confirms exactly one of them", async () => {
  for (let trial = 0; trial < 10; trial++) {
    await using h = await startHarness({ server: { policy: CONFIRMING } });
    const first = await h.call("create_pod", POD_ARGS);
    const token = /confirmation_token="([^"]+)"/.exec(textOf(first))?.[1];
    assert.ok(token, textOf(first));
    const results = await Promise.all(
      Array.from(
        { length: 8 },
        () => h.call("create_pod", { ...POD_ARGS, confirmation_token: token }),
      ),
    );
    const created = results.filter((r) =>
      r.isError !== true && !/Confirmation needed/.test(textOf(r))
    );
    assert.equal(created.length, 1, `trial ${trial}: ${created.length} calls went through`);
    assert.equal(writes(h).length, 1, `trial ${trial}`);
    assert.equal(h.sim.state.pods.size, 1, `trial ${trial}`);
    const refused = results.filter((r) => /already used/.test(textOf(r)));
    assert.equal(refused.length, 7, `trial ${trial}`);
  }
});
