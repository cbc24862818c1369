/**
 * Account tools through the real MCP client: SSH keys (read-modify-write of the whole list),
 * RunPod secrets (the value comes from the server's environment and is never shown), and env
 * references to secrets, checked before pods, templates and endpoints are written.
 */
import assert from "node:assert/strict";
import type { CallToolResult } from "../src/deps.ts";
import {
  dataOf,
  errorText,
  type Harness,
  seedPod,
  simRequest,
  startHarness,
  textOf,
  writes,
} from "./_harness.ts";
import { IMAGE, RTX4090, sshKeyLine } from "./_write_tools.ts";

// RunPod's own example key and its fingerprint as `ssh-keygen -lf` prints it.
const EXAMPLE_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILXGDN/SclOozk1xsDztpmhGiKkkrfQB9SKoO8dSIQQZ me@example.com";
const EXAMPLE_BLOB = "AAAAC3NzaC1lZDI1NTE5AAAAILXGDN/SclOozk1xsDztpmhGiKkkrfQB9SKoO8dSIQQZ";
const EXAMPLE_PRINT = "SHA256:vURoX8c5f9jk2VAqkdDhsG8VkEiNtNS7dVs/Y9t2vtQ";
// A line another client stored: odd spacing and a tab in the comment, kept byte for byte.
const ODD_KEY = `${sshKeyLine(7)} ops  team\tkey`;

// Deliberately not shaped like a token, so only the code under test can keep it out of outputs.
const SECRET_VALUE = "correct horse battery staple 42";

function harnessWithEnv(env: Record<string, string> = {}): Promise<Harness> {
  return startHarness({
    server: {
      // As the CLI reads it: RUNPOD_MCP_SECRET_ plus the upper-cased name.
      secretFromEnv: (name) => env[`RUNPOD_MCP_SECRET_${name.toUpperCase()}`],
    },
  });
}

function putBodies(h: Harness): unknown[] {
  return h.sim.requests.filter((r) => r.method === "PUT").map((r) => r.body);
}

function graphqlRequests(h: Harness) {
  return h.sim.requests.filter((r) => r.api === "graphql");
}

/** Everything the model and the log saw, as one string. */
function seen(h: Harness, results: CallToolResult[]): string {
  return JSON.stringify(results) + h.logLines.join("\n");
}

function seedSecret(h: Harness, id: string, name: string, value = SECRET_VALUE): void {
  h.sim.state.secrets.set(id, { id, name, value, description: null, createdAt: h.sim.now() });
}

// --- SSH keys ---

Deno.test("list_ssh_keys shows SHA256 fingerprints and comments, never the whole key", async () => {
  await using h = await startHarness();
  h.sim.state.sshKeys = [EXAMPLE_KEY, ODD_KEY];
  const result = await h.call("list_ssh_keys");
  const data = dataOf<{ keys: { fingerprint: string; type: string; comment: string }[] }>(
    result,
  );
  assert.deepEqual(data.keys[0], {
    fingerprint: EXAMPLE_PRINT,
    type: "ssh-ed25519",
    comment: "me@example.com",
  });
  assert.equal(data.keys[1]?.comment, "ops  team\tkey");
  assert.ok(!JSON.stringify(result).includes(EXAMPLE_BLOB));
});

Deno.test("add_ssh_key sends every other key back byte for byte plus the new one", async () => {
  await using h = await startHarness();
  h.sim.state.sshKeys = [EXAMPLE_KEY, ODD_KEY];
  const added = sshKeyLine(3, "new@laptop");
  const data = dataOf<{ added: boolean; count: number }>(
    await h.call("add_ssh_key", { ssh_public_key: `  ${added}\n` }),
  );
  assert.deepEqual(data, { ...data, added: true, count: 3 });
  assert.deepEqual(putBodies(h), [{ keys: [EXAMPLE_KEY, ODD_KEY, added] }]);
  assert.deepEqual(h.sim.state.sshKeys, [EXAMPLE_KEY, ODD_KEY, added]);
});

Deno.test("add_ssh_key with a key already present, under another comment, sends no PUT", async () => {
  await using h = await startHarness();
  h.sim.state.sshKeys = [EXAMPLE_KEY, ODD_KEY];
  const result = await h.call("add_ssh_key", {
    ssh_public_key: `ssh-ed25519 ${EXAMPLE_BLOB} other@host`,
  });
  assert.equal(dataOf<{ added: boolean }>(result).added, false);
  assert.match(textOf(result), /already on the account; nothing changed/);
  assert.deepEqual(putBodies(h), []);
  assert.deepEqual(h.sim.state.sshKeys, [EXAMPLE_KEY, ODD_KEY]);
});

Deno.test("add_ssh_key refuses a private key without echoing it, and sends nothing", async () => {
  await using h = await startHarness();
  const privateKey =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n-----END OPENSSH PRIVATE KEY-----";
  const text = errorText(await h.call("add_ssh_key", { ssh_public_key: privateKey }));
  assert.match(text, /PRIVATE key/);
  assert.ok(!text.includes("b3BlbnNzaC1rZXktdjEAAAAABG5vbmU"));
  assert.deepEqual(writes(h), []);
  assert.match(
    errorText(await h.call("add_ssh_key", { ssh_public_key: "hello world" })),
    /not an OpenSSH public key/,
  );
  assert.deepEqual(writes(h), []);
});

Deno.test("remove_ssh_key by fingerprint, comment or line removes exactly that key", async () => {
  const other = sshKeyLine(4, "b@laptop");
  for (const key of [EXAMPLE_PRINT, "me@example.com", `ssh-ed25519 ${EXAMPLE_BLOB}`]) {
    await using h = await startHarness();
    h.sim.state.sshKeys = [ODD_KEY, EXAMPLE_KEY, other];
    const data = dataOf<{ removed: string[]; count: number }>(
      await h.call("remove_ssh_key", { key }),
    );
    assert.deepEqual(data, { removed: [EXAMPLE_PRINT], count: 2 }, key);
    assert.deepEqual(putBodies(h), [{ keys: [ODD_KEY, other] }], key);
  }
});

Deno.test("remove_ssh_key refuses an unknown or ambiguous key, listing fingerprints, and sends nothing", async () => {
  await using h = await startHarness();
  h.sim.state.sshKeys = [sshKeyLine(1, "dup"), sshKeyLine(2, "dup"), EXAMPLE_KEY];
  const ambiguous = errorText(await h.call("remove_ssh_key", { key: "dup" }));
  assert.match(ambiguous, /that comment names several keys; name one by its fingerprint/);
  assert.ok(ambiguous.includes(EXAMPLE_PRINT), ambiguous);
  const unknown = errorText(await h.call("remove_ssh_key", { key: "SHA256:nope" }));
  assert.match(unknown, /no key on the account matches/);
  assert.deepEqual(putBodies(h), []);
  assert.equal(h.sim.state.sshKeys.length, 3);
});

// --- secrets ---

Deno.test("create_secret sends the value from the server's environment and never shows it", async () => {
  await using h = await harnessWithEnv({ RUNPOD_MCP_SECRET_HF_TOKEN: SECRET_VALUE });
  const result = await h.call("create_secret", { name: "hf_token" });
  const data = dataOf<{ id: string; reference: string }>(result);
  assert.equal(data.reference, "{{ RUNPOD_SECRET_hf_token }}");
  const stored = h.sim.state.secrets.get(data.id);
  assert.equal(stored?.value, SECRET_VALUE);
  const [mutation] = writes(h);
  assert.equal(
    (mutation?.body as { variables: { secretValue: string } }).variables.secretValue,
    SECRET_VALUE,
  );
  const listed = await h.call("list_secrets");
  assert.deepEqual(dataOf<{ secrets: { name: string }[] }>(listed).secrets.map((s) => s.name), [
    "hf_token",
  ]);
  assert.ok(!seen(h, [result, listed]).includes(SECRET_VALUE));
});

Deno.test("create_secret's dry run shows the request with the value masked", async () => {
  await using h = await harnessWithEnv({ RUNPOD_MCP_SECRET_HF_TOKEN: SECRET_VALUE });
  const result = await h.call("create_secret", { name: "HF_TOKEN", dry_run: true });
  const guard = (result.structuredContent as {
    guard: { request: { body: { variables: Record<string, string> } } };
  }).guard;
  assert.deepEqual(guard.request.body.variables, { name: "HF_TOKEN", secretValue: "[masked]" });
  assert.deepEqual(writes(h), []);
  assert.ok(!seen(h, [result]).includes(SECRET_VALUE));
});

Deno.test("create_secret without its env var names the variable to set and sends nothing", async () => {
  await using h = await harnessWithEnv({ RUNPOD_MCP_SECRET_OTHER: SECRET_VALUE });
  const text = errorText(await h.call("create_secret", { name: "wandb_key" }));
  assert.match(
    text,
    /^Cannot create secret wandb_key from the environment: the server has no value for it\. Set env var RUNPOD_MCP_SECRET_WANDB_KEY .*restart the server/,
  );
  assert.deepEqual(h.sim.requests, []);
  await using trivial = await harnessWithEnv({ RUNPOD_MCP_SECRET_FLAG: "true" });
  assert.match(
    errorText(await trivial.call("create_secret", { name: "flag" })),
    /RUNPOD_MCP_SECRET_FLAG is empty, a boolean or a short number/,
  );
  assert.deepEqual(trivial.sim.requests, []);
});

Deno.test("a RunPod error quoting the secret value is scrubbed before the model or the log sees it", async () => {
  await using h = await harnessWithEnv({ RUNPOD_MCP_SECRET_HF_TOKEN: SECRET_VALUE });
  h.sim.injectFault({
    kind: "status",
    status: 200,
    body: { errors: [{ message: `invalid secret value '${SECRET_VALUE}'` }], data: null },
    match: { method: "POST", path: /^\/graphql$/ },
  });
  const result = await h.call("create_secret", { name: "hf_token" });
  assert.match(
    errorText(result),
    /^Cannot create secret hf_token at RunPod, which refused it; .*invalid secret value '\[masked\]'/,
  );
  assert.ok(!seen(h, [result]).includes(SECRET_VALUE));
});

Deno.test("list_secrets shows names and metadata, never values", async () => {
  await using h = await startHarness();
  seedSecret(h, "clsecret1", "HF_TOKEN");
  const result = await h.call("list_secrets");
  const data = dataOf<{ secrets: Record<string, unknown>[] }>(result);
  assert.equal(data.secrets.length, 1);
  // No description is stored, so none is shown.
  assert.deepEqual(Object.keys(data.secrets[0]!).sort(), ["created_at", "id", "name"]);
  assert.match(textOf(result), /HF_TOKEN → \{\{ RUNPOD_SECRET_HF_TOKEN \}\}/);
  assert.ok(!JSON.stringify(result).includes(SECRET_VALUE));
});

Deno.test("delete_secret deletes by id; an unknown id is refused with RunPod's words", async () => {
  await using h = await startHarness();
  seedSecret(h, "clsecret1", "HF_TOKEN");
  dataOf(await h.call("delete_secret", { secret_id: "clsecret1" }));
  assert.equal(h.sim.state.secrets.size, 0);
  const text = errorText(await h.call("delete_secret", { secret_id: "clsecret1" }));
  assert.match(
    text,
    /^Cannot delete secret clsecret1 at RunPod.*\(RunPod: Secret clsecret1 not found\)/,
  );
});

// --- env references to secrets ---

Deno.test("an env reference to an unknown secret is refused, listing the known ones; nothing is written", async () => {
  await using h = await startHarness();
  seedSecret(h, "clsecret1", "HF_TOKEN");
  const env = { HF_TOKEN: "{{ RUNPOD_SECRET_HF_TOKN }}", MODEL: "llama" };
  const pod = errorText(
    await h.call("create_pod", { name: "p", image: IMAGE, gpu_type: "RTX 4090", env }),
  );
  assert.match(pod, /Cannot create pod: env refers to \{\{ RUNPOD_SECRET_HF_TOKN \}\}/);
  assert.match(pod, /no secret named HF_TOKN \(it has HF_TOKEN\)/);
  const template = (await simRequest(h, "POST", "/v2/templates", { name: "t", image: IMAGE }))
    .json;
  h.sim.clearRequests();
  const update = errorText(
    await h.call("update_template", { template_id: template.id, env }),
  );
  assert.match(update, /RUNPOD_SECRET_HF_TOKN/);
  assert.deepEqual(writes(h), []);
  assert.equal(h.sim.state.pods.size, 0);
});

Deno.test("a known secret reference passes, and the secret list is read only when env refers to one", async () => {
  await using h = await startHarness();
  seedSecret(h, "clsecret1", "HF_TOKEN");
  dataOf(
    await h.call("create_pod", {
      name: "p",
      image: IMAGE,
      gpu_type: "RTX 4090",
      env: { HF_TOKEN: "{{RUNPOD_SECRET_HF_TOKEN}}" },
    }),
  );
  assert.equal(graphqlRequests(h).length, 1);
  const pod = await seedPod(h, { name: "q", image: IMAGE, gpu: { id: RTX4090, count: 1 } });
  h.sim.clearRequests();
  dataOf(await h.call("update_pod", { pod_id: pod.id, env: { MODEL: "llama" } }));
  assert.deepEqual(graphqlRequests(h), []);
});

Deno.test("get_pod gives one ready-to-paste ssh_command once the pod exposes SSH, null before", async () => {
  await using h = await startHarness();
  const pod = await seedPod(h, {
    name: "s",
    image: IMAGE,
    gpu: { id: RTX4090, count: 1 },
    ports: ["22/tcp"],
  });
  const booting = await h.call("get_pod", { pod_id: pod.id });
  assert.equal(dataOf<{ ssh_command: string | null }>(booting).ssh_command, null);
  assert.doesNotMatch(textOf(booting).split("\n")[0]!, /SSH:/);
  h.sim.advance(10 * 60_000);
  const result = await h.call("get_pod", { pod_id: pod.id });
  const data = dataOf<Record<string, unknown>>(result);
  // The direct TCP route, which needs no proxy user, is the one to paste.
  assert.match(String(data.ssh_command), /^ssh root@\d+\.\d+\.\d+\.\d+ -p \d+ -i /);
  assert.equal(data.ssh, undefined);
  assert.ok(textOf(result).includes(`SSH: ${data.ssh_command}`), textOf(result));
});
