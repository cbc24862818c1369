/**
 * Every write tool under every way a request can fail in transit: the connection dropped before
 * RunPod got the request, dropped after RunPod acted (the reply is lost), a timeout, a 429 then
 * success, a 5xx, and a 2xx body that cannot be read. For each, what the simulator received
 * (how many times the write arrived, how many times it acted) and what the model was told.
 *
 * The drops go through a TCP proxy between the client and the simulator (`tests/_tcp_proxy.ts`),
 * so they exercise the real HTTP stack, including its habit of re-sending on a fresh connection.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ALL_TOOLS } from "../src/tools/mod.ts";
import type { CallToolResult } from "../src/deps.ts";
import { WRITE_RULES } from "../src/policy/writes.ts";
import { type Harness, seedPod, startHarness, textOf } from "./_harness.ts";
import {
  IMAGE,
  RTX4090,
  WRITE_TOOL_CALLS,
  WRITE_TOOL_SERVER,
  type WriteToolSetup,
} from "./_write_tools.ts";

const GPU = RTX4090;

/**
 * How a write may be repeated, which decides what a fault may lead to:
 * - `create`: a create that is looked up by name when its outcome is unknown;
 * - `submit`: a job submission, which cannot be looked up;
 * - `once`: any other write that must never be sent twice;
 * - `repeatable`: a write the client may repeat on purpose (DELETE, full-value PATCH, cancel).
 */
type Kind = "create" | "submit" | "once" | "repeatable";

const KINDS: Readonly<Record<string, Kind>> = {
  create_pod: "create",
  create_endpoint: "create",
  create_cluster: "create",
  run_job: "submit",
  run_job_sync: "submit",
  delete_endpoint: "repeatable",
  delete_template: "repeatable",
  delete_network_volume: "repeatable",
  delete_registry: "repeatable",
  revoke_ecr_delegation: "repeatable",
  add_ssh_key: "repeatable",
  remove_ssh_key: "repeatable",
  delete_cluster: "repeatable",
  update_cluster: "repeatable",
  cancel_job: "repeatable",
  purge_queue: "repeatable",
  update_template: "repeatable",
  update_network_volume: "repeatable",
};

interface WriteCase {
  tool: string;
  kind: Kind;
  /** The write the tool sends, from its row in the write table. */
  method: string;
  path: RegExp;
  setup: WriteToolSetup;
  /** Faults this tool cannot meet in a test, and why. */
  skip?: Partial<Record<FaultName, string>>;
}

const SKIPS: Readonly<Record<string, Partial<Record<FaultName, string>>>> = {
  run_job_sync: {
    timeout:
      "its deadline is wait + 15 s, so a timeout would take 16 s of real time; it fails the same way as run_job's",
  },
};

function rowPattern(template: string, jobs: boolean): RegExp {
  const body = template.replace(/\{\w+\}/g, "[^/]+");
  return new RegExp(jobs ? `^/v2${body}$` : `^${body}$`);
}

/** Every write tool, with its fixtures from `_write_tools.ts`; a test checks the coverage. */
const WRITES: WriteCase[] = Object.entries(WRITE_TOOL_CALLS).map(([tool, setup]) => {
  const rule = WRITE_RULES.find((r) => r.tools.includes(tool));
  if (!rule) throw new Error(`${tool} has no row in the write table`);
  return {
    tool,
    kind: KINDS[tool] ?? "once",
    method: rule.method,
    path: rowPattern(rule.path, rule.api === "jobs"),
    setup,
    ...(SKIPS[tool] ? { skip: SKIPS[tool] } : {}),
  };
});

type FaultName = "drop-before" | "drop-after" | "timeout" | "429-then-ok" | "5xx" | "malformed";

/** Per-attempt deadline in the timeout case; the delay fault ends early when the client aborts. */
const TIMEOUT_MS = 300;

interface Expected {
  /** How many times the write reaches the simulator. */
  received: number;
  /** `ok`: a normal result; `recovered`: a result that says it was found by listing. */
  result: "ok" | "recovered" | "error";
}

interface FaultCase {
  name: FaultName;
  arm(h: Harness, method: string, path: RegExp): void;
  expect: Record<Kind, Expected>;
}

const err = (received: number): Expected => ({ received, result: "error" });
const ok = (received: number): Expected => ({ received, result: "ok" });

const FAULTS: FaultCase[] = [
  {
    name: "drop-before",
    arm: (h, method, path) => h.proxy!.drop({ method, path, when: "before-upstream" }),
    // The client cannot tell this from a lost reply, so only repeatable writes are sent again.
    expect: { create: err(0), submit: err(0), once: err(0), repeatable: ok(1) },
  },
  {
    name: "drop-after",
    arm: (h, method, path) => h.proxy!.drop({ method, path, when: "after-upstream" }),
    expect: {
      create: { received: 1, result: "recovered" },
      submit: err(1),
      once: err(1),
      // Sent again on purpose: the second DELETE finds nothing (404, counted as done), the second
      // PATCH or cancel changes nothing.
      repeatable: ok(2),
    },
  },
  {
    name: "timeout",
    arm: (h, method, path) =>
      h.sim.injectFault({ kind: "delay", ms: 10_000, match: { method, path } }),
    expect: { create: err(1), submit: err(1), once: err(1), repeatable: ok(2) },
  },
  {
    name: "429-then-ok",
    arm: (h, method, path) =>
      h.sim.injectFault({ kind: "status", status: 429, retryAfter: 0, match: { method, path } }),
    // RunPod refused the first without acting; the second is the only one it acts on.
    expect: { create: ok(2), submit: ok(2), once: ok(2), repeatable: ok(2) },
  },
  {
    name: "5xx",
    arm: (h, method, path) =>
      h.sim.injectFault({ kind: "status", status: 503, match: { method, path } }),
    expect: { create: err(1), submit: err(1), once: err(1), repeatable: ok(2) },
  },
  {
    name: "malformed",
    arm: (h, method, path) =>
      h.sim.injectFault({ kind: "malformed-json", when: "after", match: { method, path } }),
    expect: {
      create: { received: 1, result: "recovered" },
      submit: err(1),
      once: err(1),
      // A 2xx is not retried: RunPod answered, only its body was unreadable.
      repeatable: err(1),
    },
  },
];

/** Texts that invite a plain retry, which is wrong whenever RunPod may have acted. */
const RETRY_INVITES = /retry in a minute|the call was not completed/i;

function checkMessage(write: WriteCase, fault: FaultCase, result: CallToolResult): void {
  const text = textOf(result);
  const where = `${write.tool} / ${fault.name}: ${text}`;
  const expected = fault.expect[write.kind].result;
  if (expected === "ok") {
    assert.notEqual(result.isError, true, where);
    assert.doesNotMatch(text, /found by listing/, where);
    return;
  }
  if (expected === "recovered") {
    assert.notEqual(result.isError, true, where);
    assert.match(text, /was lost \(.+\); (pod|endpoint|cluster) \w+ was found by listing/, where);
    return;
  }
  assert.equal(result.isError, true, where);
  assert.doesNotMatch(text, RETRY_INVITES, where);
  assert.match(text, /check (get_|list_)\w+/, where);
  if (write.kind === "create" || write.kind === "submit") {
    assert.match(text, /^Unknown outcome: Cannot tell whether RunPod (created|queued)/, where);
    assert.match(text, /do not simply retry/, where);
  } else if (write.kind === "once") {
    assert.match(text, /do not simply retry|most likely happened/, where);
  } else {
    assert.match(text, /most likely happened/, where);
  }
}

for (const write of WRITES) {
  Deno.test(`${write.tool} reaches RunPod at most once per state change and answers honestly under every fault`, async (t) => {
    for (const fault of FAULTS) {
      const skipped = write.skip?.[fault.name];
      await t.step({
        name: `${fault.name}${skipped ? ` (skipped: ${skipped})` : ""}`,
        ignore: skipped !== undefined,
        fn: async () => {
          await using h = await startHarness({
            proxy: true,
            server: WRITE_TOOL_SERVER,
            ...(fault.name === "timeout" ? { timeoutMs: TIMEOUT_MS } : {}),
          });
          const args = await write.setup(h);
          h.sim.clearRequests();
          fault.arm(h, write.method, write.path);
          const result = await h.call(write.tool, args);

          const sent = h.sim.requests.filter((r) =>
            r.method === write.method && write.path.test(r.path)
          );
          const acted = sent.filter((r) => r.status >= 200 && r.status < 300);
          const expected = fault.expect[write.kind];
          const where = `${write.tool} / ${fault.name}: ${textOf(result)}`;
          assert.equal(sent.length, expected.received, `received: ${where}`);
          if (write.kind !== "repeatable") {
            // A repeatable write may land twice on purpose (see `expect`); nothing else may.
            assert.ok(acted.length <= 1, `RunPod acted ${acted.length} times: ${where}`);
            if (fault.name !== "429-then-ok") assert.ok(sent.length <= 1, `sent twice: ${where}`);
          }
          checkMessage(write, fault, result);
          if (fault.name === "429-then-ok") {
            assert.deepEqual(h.sleeps, [1000], "Retry-After 0 → 1 s");
          }
        },
      });
    }
  });
}

Deno.test("the fault matrix covers every tool that is not read-only", () => {
  const writeTools = ALL_TOOLS.filter((tool) => !tool.annotations.readOnlyHint)
    .map((tool) => tool.name).sort();
  assert.deepEqual(WRITES.map((write) => write.tool).sort(), writeTools);
});

Deno.test("create_pod found by listing returns the one pod RunPod made, and create_endpoint likewise", async () => {
  for (
    const [tool, args, path, count] of [
      ["create_pod", { name: "lost", image: IMAGE, gpu_type: "RTX 4090" }, "/v2/pods", "pods"],
      [
        "create_endpoint",
        { name: "lost", image: IMAGE, gpu_types: ["RTX 4090"] },
        "/v2/serverless",
        "endpoints",
      ],
    ] as const
  ) {
    await using h = await startHarness({ proxy: true });
    h.proxy!.drop({ method: "POST", path, when: "after-upstream" });
    const result = await h.call(tool, args);
    const made = [...h.sim.state[count].values()];
    assert.equal(made.length, 1);
    const data = result.structuredContent as Record<string, { id: string }>;
    const resource = data.pod ?? data.endpoint;
    assert.equal(resource?.id, made[0]?.id);
    assert.match(textOf(result), /taken to be the one this call created/);
  }
});

Deno.test("a lost create reply with two same-named pods created meanwhile is reported as unknown, naming both", async () => {
  await using h = await startHarness({ proxy: true });
  // Another client makes a pod with the same name at the same moment.
  await seedPod(h, { name: "twin", image: IMAGE, gpu: { id: GPU, count: 1 } });
  h.proxy!.drop({ method: "POST", path: "/v2/pods", when: "after-upstream" });
  const result = await h.call("create_pod", { name: "twin", image: IMAGE, gpu_type: "RTX 4090" });
  const ids = [...h.sim.state.pods.keys()];
  assert.equal(ids.length, 2);
  assert.equal(result.isError, true);
  const text = textOf(result);
  assert.match(text, /^Unknown outcome: .* shows 2 that match/);
  for (const id of ids) assert.ok(text.includes(id), text);
  assert.match(text, /check list_pods before trying again; do not simply retry/);
});

Deno.test("a pod dropped after a pooled GET is created once: the POST never rides a reused connection", async () => {
  await using h = await startHarness({ proxy: true });
  // The GPU lookup before the POST leaves a keep-alive connection in the pool; a stack that
  // re-sends on a fresh connection after the pooled one dies would make a second pod here.
  h.proxy!.drop({ method: "POST", path: "/v2/pods", when: "after-upstream" });
  const result = await h.call("create_pod", { name: "solo", image: IMAGE, gpu_type: "RTX 4090" });
  assert.notEqual(result.isError, true, textOf(result));
  const posts = h.proxy!.requests.filter((r) => r.method === "POST");
  assert.equal(posts.length, 1, JSON.stringify(h.proxy!.requests));
  const gets = h.proxy!.requests.filter((r) => r.method === "GET");
  assert.ok(gets.length >= 1);
  assert.notEqual(posts[0]?.connection, gets[0]?.connection, "the POST had its own connection");
  assert.equal(h.sim.state.pods.size, 1);
  assert.equal(h.sim.requests.filter((r) => r.method === "POST").length, 1);
});
