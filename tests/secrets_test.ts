import assert from "node:assert/strict";
import { createLogger } from "../src/log.ts";
import {
  findPlaceholders,
  isSecretName,
  MASK,
  maskBody,
  maskEnv,
  redactSecrets,
} from "../src/secrets.ts";
import { LIMITS } from "../src/tools/_args.ts";
import {
  dataOf,
  errorText,
  type Harness,
  routes,
  seedPod,
  simRequest,
  startHarness,
  textOf,
  writes,
} from "./_harness.ts";
import { IMAGE, RTX4090 } from "./_write_tools.ts";

// Made-up values in the shapes each issuer uses; none is a real credential.
const HF = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567";
const SHAPES: Record<string, string> = {
  HF_HOME_HINT: `token is ${HF}`,
  OPENAI: "sk-Ab12Cd34Ef56Gh78Ij90KlMnOpQr",
  OPENAI_PROJECT: "sk-proj-Ab12Cd34Ef56Gh78Ij90KlMn_op-QR",
  ANTHROPIC: "sk-ant-api03-Ab12Cd34Ef56Gh78Ij90KlMn",
  GH_CLASSIC: "ghp_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78",
  GH_FINE: "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv",
  AWS_ID: "AKIAABCDEFGHIJKLMNOP",
  AWS_TEMP_ID: "ASIAABCDEFGHIJKLMNOP",
  RUNPOD: "rpa_ABCDEF0123456789GHIJKLMN",
  SLACK: "xoxb-123456789012-123456789012-AbCdEfGhIjKl",
  JWT:
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
  PEM:
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\nAAAAEbm9uZQAAAAAAAAAB\n-----END OPENSSH PRIVATE KEY-----",
  PEM_RSA: "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAv3Zx\n-----END RSA PRIVATE KEY-----",
  DB_URL: "postgres://app:Sup3rS3cretPw@db.internal:5432/app",
};

/** Secrets recognised only by their name; the values look like anything else. */
const BY_NAME: Record<string, string> = {
  DB_PW: "hunter2hunter2",
  SMTP_PASS: "correct-horse",
  MYSQL_PWD: "battery-staple",
  GCP_CREDS: "gcpcredsvalue",
  GOOGLE_CREDENTIALS: "credsfilecontent",
  SSH_PRIVATE_KEY_B64: "cHJpdmF0ZWtleQ",
  OPENAI_API_KEY: "plainapikeyvalue",
  WANDB_TOKEN: "wandbtokenvalue",
  JWT_SECRET: "jwtsecretvalue",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  jupyterPassword: "camelcasepw",
};

/** What a user would not call a secret: must stay readable. */
const NEGATIVES: Record<string, string> = {
  TOKENIZERS_PARALLELISM: "false",
  TOKENIZER: "meta-llama/Llama-3.1-8B-Instruct",
  MAX_TOKENS: "4096",
  TOKEN_LIMIT: "2048",
  KEYBOARD_LAYOUT: "us",
  AUTHOR: "alice",
  PUBLIC_KEY: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3nB9Yc3Jt0Q3b7 me@laptop",
  PWD: "/workspace",
  EOS_TOKEN: "</s>",
  HF_HUB_ENABLE_HF_TRANSFER: "1",
  PIP_PACKAGES: "hf_transfer accelerate",
  MODEL_NAME: "meta-llama/Llama-3.1-8B-Instruct",
};

/** Every distinctive secret substring, to grep whole results for. */
function secretNeedles(): string[] {
  return [
    HF,
    ...Object.values(SHAPES).map((v) => v === SHAPES.HF_HOME_HINT ? HF : v),
    ...Object.values(BY_NAME),
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU",
    "MIIEowIBAAKCAQEAv3Zx",
    "Sup3rS3cretPw",
  ];
}

function assertNoSecret(text: string, where: string): void {
  for (const needle of secretNeedles()) {
    assert.ok(!text.includes(needle), `${where} leaks ${needle.slice(0, 24)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Detectors

Deno.test("isSecretName() recognises the names people give secrets", () => {
  for (const name of [...Object.keys(BY_NAME), "HF_TOKEN", "token", "api-key", "x-api-key"]) {
    assert.equal(isSecretName(name), true, name);
  }
  // TOKEN_LIMIT is a secret name; its value (2048) stays visible by the trivial-value rule.
  const names = Object.keys(NEGATIVES).filter((n) => n !== "TOKEN_LIMIT");
  for (const name of [...names, "key", "prompt_tokens", "name", "passthrough"]) {
    assert.equal(isSecretName(name), false, name);
  }
});

Deno.test("redactSecrets() masks every credential shape inside free text", () => {
  for (const [label, value] of Object.entries(SHAPES)) {
    const out = redactSecrets(`before ${value} after`);
    assert.ok(out.includes(MASK), `${label}: ${out}`);
    assertNoSecret(out, label);
    assert.match(out, /^before /, label);
  }
  assert.equal(
    redactSecrets(`x=1 ${SHAPES.PEM} y=2`),
    `x=1 ${MASK} y=2`,
    "a PEM block goes whole, BEGIN to END",
  );
  assert.equal(
    redactSecrets("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg (cut off)"),
    MASK,
    "an unterminated PEM block is masked to the end",
  );
});

Deno.test("redactSecrets() leaves ordinary text readable", () => {
  const text =
    "author: Alice tokenizer: llama PWD=/root MAX_TOKENS=4096 pip install hf_transfer; task-abcdefghijklmnopqrstuvwxyz image bitnami/sealed-secrets:v0.27";
  assert.equal(redactSecrets(text), text);
  assert.equal(redactSecrets(`HF_TOKEN=${MASK}`), `HF_TOKEN=${MASK}`, "masking twice is stable");
  assert.equal(
    redactSecrets("see https://x.io/a?token=abc123&page=2"),
    "see https://x.io/a?token=[masked]&page=2",
  );
});

Deno.test("maskEnv() masks by name and by value, whole, and keeps the negatives visible", () => {
  const env = { ...SHAPES, ...BY_NAME, ...NEGATIVES };
  const masked = maskEnv(env);
  for (const key of [...Object.keys(SHAPES), ...Object.keys(BY_NAME)]) {
    assert.equal(masked[key], MASK, key);
  }
  for (const [key, value] of Object.entries(NEGATIVES)) assert.equal(masked[key], value, key);
  assert.deepEqual(maskEnv(env, true), env, "--show-secrets shows everything");
  assert.deepEqual(maskEnv({ DB_PASSWORD: "", SESSION_TOKEN: "true" }), {
    DB_PASSWORD: "",
    SESSION_TOKEN: "true",
  });
});

Deno.test("maskBody() masks secret-named fields and secret-shaped strings at any depth", () => {
  const body = {
    name: `demo ${HF}`,
    gpu: { count: 2 },
    env: { HF_TOKEN: "abcdefgh", MODEL: "llama", MAX_TOKENS: "4096" },
    list: [{ password: "hunter2hunter2" }, SHAPES.JWT],
    note: "uses my-odd-secret",
  };
  assert.deepEqual(maskBody(body, ["my-odd-secret"]), {
    name: `demo ${MASK}`,
    gpu: { count: 2 },
    env: { HF_TOKEN: MASK, MODEL: "llama", MAX_TOKENS: "4096" },
    list: [{ password: MASK }, MASK],
    note: `uses ${MASK}`,
  });
});

Deno.test("findPlaceholders() tells a whole placeholder from a half-hidden value", () => {
  assert.deepEqual(
    findPlaceholders({
      A: MASK,
      B: "[REDACTED]",
      C: "hf_****wxyz",
      D: `postgres://u:${MASK}@h`,
      E: "plain",
      F: "**/*.py",
    }),
    { whole: ["A", "B"], partial: ["C", "D"] },
  );
});

Deno.test("createLogger() masks every secret shape in messages, fields and sink events", () => {
  const lines: string[] = [];
  const events: unknown[] = [];
  const log = createLogger({ level: "debug", write: (l) => lines.push(l) });
  log.addSink((_level, message, fields) => events.push({ message, fields }));
  for (const [label, value] of Object.entries(SHAPES)) {
    log.info(`${label} is ${value}`, { value, nested: { deeper: [value] } });
  }
  for (const [name, value] of Object.entries(BY_NAME)) {
    log.info(`env ${name}=${value}`, { [name]: value });
  }
  log.info("negatives", { ...NEGATIVES });
  assertNoSecret(lines.join("\n"), "stderr");
  assertNoSecret(JSON.stringify(events), "sink");
  assert.ok(lines.every((l) => !l.includes("[REDACTED]")), "one placeholder everywhere");
  const last = JSON.stringify(events.at(-1));
  for (const value of Object.values(NEGATIVES)) {
    assert.ok(last.includes(JSON.stringify(value).slice(1, -1)), value);
  }
});

// ---------------------------------------------------------------------------------------------
// The real server: get, copy back, update

async function getPodEnv(h: Harness, id: string): Promise<Record<string, string>> {
  return dataOf<{ env: Record<string, string> }>(await h.call("get_pod", { pod_id: id })).env;
}

function writeBodies(h: Harness): string {
  return JSON.stringify(writes(h).map((r) => r.body));
}

Deno.test("get_pod masks every secret shape and name in env, text and structuredContent", async () => {
  await using h = await startHarness();
  const pod = await seedPod(h, {
    name: "shapes",
    image: IMAGE,
    gpu: { id: RTX4090, count: 1 },
    env: { ...SHAPES, ...BY_NAME, ...NEGATIVES },
  });
  const result = await h.call("get_pod", { pod_id: pod.id });
  const env = dataOf<{ env: Record<string, string> }>(result).env;
  for (const key of [...Object.keys(SHAPES), ...Object.keys(BY_NAME)]) {
    assert.equal(env[key], MASK, key);
  }
  for (const [key, value] of Object.entries(NEGATIVES)) assert.equal(env[key], value, key);
  assertNoSecret(JSON.stringify(result), "get_pod");
  assertNoSecret(h.logLines.join("\n"), "server log");
});

Deno.test("update_pod keeps the stored secret when the model copies get_pod's env back with one change", async () => {
  await using h = await startHarness();
  const pod = await seedPod(h, {
    name: "trainer",
    image: IMAGE,
    gpu: { id: RTX4090, count: 1 },
    env: { MODEL: "llama-3-8b", HF_TOKEN: HF, DB_PW: "hunter2hunter2" },
  });
  const shown = await getPodEnv(h, pod.id);
  assert.deepEqual(shown, { MODEL: "llama-3-8b", HF_TOKEN: MASK, DB_PW: MASK });
  h.sim.clearRequests();

  const result = await h.call("update_pod", { pod_id: pod.id, env: { ...shown, MODEL: "qwen" } });
  const data = dataOf<{ pod: { env: Record<string, string> } }>(result);
  assert.deepEqual(routes(h).slice(0, 2), [`GET /v2/pods/${pod.id}`, `PATCH /v2/pods/${pod.id}`]);
  assert.deepEqual(writes(h)[0]?.body, {
    env: { MODEL: "qwen", HF_TOKEN: HF, DB_PW: "hunter2hunter2" },
  });
  assert.ok(!writeBodies(h).includes(MASK), "the PATCH never carries the placeholder");
  assert.equal(h.sim.state.pods.get(pod.id)?.env.HF_TOKEN, HF, "byte for byte");
  assert.deepEqual(data.pod.env, { MODEL: "qwen", HF_TOKEN: MASK, DB_PW: MASK });
  assert.match(textOf(result), /Kept the stored value of HF_TOKEN, DB_PW/);
  assertNoSecret(JSON.stringify(result), "update_pod");
});

Deno.test("update_pod without placeholders sends the env as given, plus runpod-mcp's marker if it was there", async () => {
  await using h = await startHarness();
  const pod = await seedPod(h, { name: "p", image: IMAGE, gpu: { id: RTX4090, count: 1 } });
  h.sim.clearRequests();
  dataOf(await h.call("update_pod", { pod_id: pod.id, env: { HF_TOKEN: HF } }));
  // One read to learn whether the pod carries the marker, which a replacement must keep.
  assert.deepEqual(routes(h), [`GET /v2/pods/${pod.id}`, `PATCH /v2/pods/${pod.id}`]);
  assert.deepEqual(writes(h)[0]?.body, { env: { HF_TOKEN: HF } });

  const own = await seedPod(h, {
    name: "mine",
    image: IMAGE,
    gpu: { id: RTX4090, count: 1 },
    env: { RUNPOD_MCP_MANAGED: "1" },
  });
  h.sim.clearRequests();
  dataOf(await h.call("update_pod", { pod_id: own.id, env: { HF_TOKEN: HF } }));
  assert.deepEqual(writes(h)[0]?.body, { env: { HF_TOKEN: HF, RUNPOD_MCP_MANAGED: "1" } });
  // Sent back with the marker already in it: no read needed.
  h.sim.clearRequests();
  dataOf(
    await h.call("update_pod", { pod_id: own.id, env: { HF_TOKEN: HF, RUNPOD_MCP_MANAGED: "1" } }),
  );
  assert.deepEqual(routes(h), [`PATCH /v2/pods/${own.id}`]);
});

Deno.test("update_pod refuses a placeholder it cannot restore, sending nothing", async () => {
  await using h = await startHarness();
  const pod = await seedPod(h, {
    name: "p",
    image: IMAGE,
    gpu: { id: RTX4090, count: 1 },
    env: { HF_TOKEN: HF },
  });
  const cases: [Record<string, string>, RegExp][] = [
    [
      { NEW_TOKEN: MASK },
      /env NEW_TOKEN is "\[masked\]".*no such variable is stored.*Ask the user/,
    ],
    [{ HF_TOKEN: "hf_****4567" }, /env HF_TOKEN holds a half-hidden value/],
    [{ DATABASE_URL: `postgres://u:${MASK}@db/app` }, /env DATABASE_URL holds a half-hidden/],
  ];
  for (const [env, message] of cases) {
    h.sim.clearRequests();
    const text = errorText(await h.call("update_pod", { pod_id: pod.id, env }));
    assert.match(text, /^Cannot update pod /);
    assert.match(text, message);
    assert.deepEqual(writes(h), [], JSON.stringify(env));
  }
  assert.equal(h.sim.state.pods.get(pod.id)?.env.HF_TOKEN, HF);
});

Deno.test("update_pod refuses to keep a stored value that is itself the placeholder", async () => {
  await using h = await startHarness();
  const pod = await seedPod(h, {
    name: "p",
    image: IMAGE,
    gpu: { id: RTX4090, count: 1 },
    env: { HF_TOKEN: MASK },
  });
  h.sim.clearRequests();
  const text = errorText(await h.call("update_pod", { pod_id: pod.id, env: { HF_TOKEN: MASK } }));
  assert.match(text, /stored value of env HF_TOKEN is itself the placeholder/);
  assert.deepEqual(writes(h), []);
});

Deno.test("update_template keeps the stored secret when get_template's env is copied back", async () => {
  await using h = await startHarness();
  const created = await simRequest(h, "POST", "/v2/templates", {
    name: "srv",
    image: IMAGE,
    env: { MODEL: "a", HF_TOKEN: HF },
  });
  assert.equal(created.status, 201);
  const id = created.json.id as string;
  const shown = dataOf<{ env: Record<string, string> }>(
    await h.call("get_template", { template_id: id }),
  ).env;
  assert.deepEqual(shown, { MODEL: "a", HF_TOKEN: MASK });
  h.sim.clearRequests();

  const result = await h.call("update_template", {
    template_id: id,
    env: { ...shown, MODEL: "b" },
  });
  dataOf(result);
  assert.deepEqual(writes(h)[0]?.body, { env: { MODEL: "b", HF_TOKEN: HF } });
  assert.equal(h.sim.state.templates.get(id)?.env.HF_TOKEN, HF);
  assert.match(textOf(result), /Kept the stored value of HF_TOKEN/);
  assertNoSecret(JSON.stringify(result), "update_template");
});

Deno.test("update_endpoint keeps the stored secret when get_endpoint's env is copied back", async () => {
  await using h = await startHarness();
  const created = await simRequest(h, "POST", "/v2/serverless", {
    name: "ep",
    type: "QUEUE",
    image: IMAGE,
    gpu: { pools: ["ADA_24"] },
    scaling: { type: "QUEUE_DELAY", queueDelay: 4 },
    env: { MODEL_NAME: "a", HF_TOKEN: HF },
  });
  assert.equal(created.status, 201);
  const id = created.json.id as string;
  const shown = dataOf<{ env: Record<string, string> }>(
    await h.call("get_endpoint", { endpoint_id: id }),
  ).env;
  assert.deepEqual(shown, { MODEL_NAME: "a", HF_TOKEN: MASK });
  h.sim.clearRequests();

  const result = await h.call("update_endpoint", {
    endpoint_id: id,
    env: { ...shown, MODEL_NAME: "b" },
  });
  const data = dataOf<{ notes: string[] }>(result);
  assert.deepEqual(writes(h)[0]?.body, { env: { MODEL_NAME: "b", HF_TOKEN: HF } });
  assert.equal(h.sim.state.endpoints.get(id)?.env.HF_TOKEN, HF);
  assert.ok(data.notes.some((n) => /Kept the stored value of HF_TOKEN/.test(n)));
  assertNoSecret(JSON.stringify(result), "update_endpoint");
});

Deno.test("create_pod, create_template and create_endpoint refuse placeholders, sending nothing", async () => {
  await using h = await startHarness();
  const calls: [string, Record<string, unknown>][] = [
    ["create_pod", { name: "p", image: IMAGE, gpu_type: "RTX 4090", env: { HF_TOKEN: MASK } }],
    ["create_template", { name: "t", image: IMAGE, env: { HF_TOKEN: "[REDACTED]" } }],
    [
      "create_endpoint",
      { name: "e", image: IMAGE, gpu_types: ["RTX 4090"], env: { A: "x", HF_TOKEN: MASK } },
    ],
  ];
  for (const [tool, args] of calls) {
    const text = errorText(await h.call(tool, args));
    assert.match(
      text,
      /env HF_TOKEN is a placeholder .*no stored value to keep.*Ask the user/,
      tool,
    );
  }
  assert.deepEqual(h.sim.requests, []);
});

Deno.test("a secret inside a pod name reaches RunPod but is masked in every result and resource", async () => {
  await using h = await startHarness();
  const name = `demo-${HF}`;
  const result = await h.call("create_pod", { name, image: IMAGE, gpu_type: "RTX 4090" });
  const data = dataOf<{ pod: { id: string; name: string } }>(result);
  assert.equal(writes(h)[0]?.body && (writes(h)[0]?.body as { name: string }).name, name);
  assert.equal(data.pod.name, `demo-${MASK}`);
  assert.match(textOf(result), /Created pod \S+ "demo-\[masked\]"/);
  assertNoSecret(JSON.stringify(result), "create_pod");

  const listed = await h.call("list_pods");
  assertNoSecret(JSON.stringify(listed), "list_pods");
  assert.match(textOf(listed), /"demo-\[masked\]"/);
  assertNoSecret(JSON.stringify(await h.call("get_pod", { pod_id: data.pod.id })), "get_pod");

  const read = await h.client.readResource({ uri: `runpod://pods/${data.pod.id}` });
  assertNoSecret(JSON.stringify(read), "runpod://pods/{id}");
  assertNoSecret(JSON.stringify(await h.client.readResource({ uri: "runpod://pods" })), "pods");
  assertNoSecret(JSON.stringify(await h.client.listResources()), "resources/list");
  assertNoSecret(h.logLines.join("\n"), "server log");
});

Deno.test("resources mask env like the tools do", async () => {
  await using h = await startHarness();
  const pod = await seedPod(h, {
    name: "r",
    image: IMAGE,
    gpu: { id: RTX4090, count: 1 },
    env: { ...SHAPES, ...BY_NAME, ...NEGATIVES },
  });
  const read = await h.client.readResource({ uri: `runpod://pods/${pod.id}` });
  const first = read.contents[0];
  const detail = JSON.parse(first && "text" in first ? String(first.text) : "{}");
  for (const key of [...Object.keys(SHAPES), ...Object.keys(BY_NAME)]) {
    assert.equal(detail.env[key], MASK, key);
  }
  for (const [key, value] of Object.entries(NEGATIVES)) assert.equal(detail.env[key], value, key);
});

// ---------------------------------------------------------------------------------------------
// Sizes

Deno.test("env sizes are bounded where input enters: value, name and total, naming the limit", async () => {
  await using h = await startHarness();
  const big = "x".repeat(1024 * 1024);
  const pod = { name: "p", image: IMAGE, gpu_type: "RTX 4090" };
  const third = "y".repeat(30 * 1024);
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      "create_pod",
      { ...pod, env: { BLOB: big } },
      /env BLOB is 1048576 bytes, over the limit of 32768 bytes \(32 KiB\) per value/,
    ],
    [
      "create_pod",
      { ...pod, env: { ["N".repeat(129)]: "1" } },
      /env name N{32}… is 129 characters, over the limit of 128/,
    ],
    [
      "create_template",
      { name: "t", image: IMAGE, env: { A: third, B: third, C: third } },
      /env is 92163 bytes in total \(names and values\), over the limit of 65536 bytes \(64 KiB\)/,
    ],
    [
      "create_endpoint",
      { name: "e", image: IMAGE, gpu_types: ["RTX 4090"], env: { BLOB: big } },
      /env BLOB is 1048576 bytes/,
    ],
  ];
  for (const [tool, args, message] of cases) {
    const text = errorText(await h.call(tool, args));
    assert.match(text, message, tool);
    assert.ok(text.length < 2000, "the oversized value is not echoed back");
  }
  assert.deepEqual(h.sim.requests, []);

  const seeded = await seedPod(h, { name: "s", image: IMAGE, gpu: { id: RTX4090, count: 1 } });
  h.sim.clearRequests();
  assert.match(
    errorText(await h.call("update_pod", { pod_id: seeded.id, env: { BLOB: big } })),
    /env BLOB is 1048576 bytes/,
  );
  assert.deepEqual(h.sim.requests, []);
});

Deno.test("an env value of exactly the limit is accepted", async () => {
  await using h = await startHarness();
  const value = "z".repeat(LIMITS.ENV_VALUE_BYTES);
  dataOf(await h.call("create_template", { name: "t", image: IMAGE, env: { BLOB: value } }));
  assert.equal((writes(h)[0]?.body as { env: Record<string, string> }).env.BLOB, value);
});

Deno.test("names, images, docker args, webhooks and registry passwords are bounded, sending nothing", async () => {
  await using h = await startHarness();
  const long = (n: number) => "a".repeat(n);
  const gpu = { image: IMAGE, gpu_type: "RTX 4090" };
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["create_pod", { name: long(192), ...gpu }, /name is 192 characters, over the limit of 191/],
    [
      "create_pod",
      { name: "p", image: long(513), gpu_type: "RTX 4090" },
      /image is 513 characters, over the limit of 512/,
    ],
    [
      "create_pod",
      { name: "p", ...gpu, docker_args: long(4097) },
      /docker_args is 4097 characters, over the limit of 4096/,
    ],
    ["create_template", { name: long(300), image: IMAGE }, /name is 300 characters/],
    [
      "create_endpoint",
      { name: long(192), image: IMAGE, gpu_types: ["RTX 4090"] },
      /name is 192 characters/,
    ],
    [
      "create_network_volume",
      { name: long(192), size_gb: 10, data_center_id: "US-KS-2" },
      /name is 192 characters/,
    ],
    [
      "create_registry",
      { name: "r", username: "u", password: long(4097) },
      /password is 4097 characters, over the limit of 4096/,
    ],
    [
      "run_job",
      { endpoint_id: "abc", input: {}, webhook: `https://x.io/${long(2040)}` },
      /webhook is 2053 characters, over the limit of 2048/,
    ],
  ];
  for (const [tool, args, message] of cases) {
    const text = errorText(await h.call(tool, args));
    assert.match(text, message, tool);
  }
  assert.deepEqual(h.sim.requests, []);
});

Deno.test("run_job_sync bounds the serialized input at RunPod's 20 MB, sending nothing", async () => {
  await using h = await startHarness();
  const text = errorText(
    await h.call("run_job_sync", {
      endpoint_id: "abc",
      input: { blob: "x".repeat(LIMITS.RUNSYNC_BODY_BYTES) },
    }),
  );
  assert.match(
    text,
    /input makes the request body \d+ bytes of JSON, over RunPod's limit of 20971520 bytes \(20 MiB\)/,
  );
  assert.deepEqual(h.sim.requests, []);
});
