import assert from "node:assert/strict";
import { DEFAULTS, ENV_NAMES, loadConfig, SETTINGS } from "../src/config.ts";
import { parseCli } from "../src/cli.ts";

const KEY = "rpa_CONFIGTESTKEY123456";

function errorsOf(result: ReturnType<typeof loadConfig>): string[] {
  assert.equal(result.ok, false);
  return result.ok ? [] : result.errors;
}

Deno.test("loadConfig() uses RunPod's production URLs by default", () => {
  const result = loadConfig({}, { RUNPOD_API_KEY: KEY });
  assert.ok(result.ok);
  assert.deepEqual(result.config, {
    apiKey: KEY,
    sandbox: false,
    restBaseUrl: "https://api.runpod.io",
    serverlessBaseUrl: "https://api.runpod.ai/v2",
    graphqlUrl: "https://api.runpod.io/graphql",
    logLevel: "info",
    requestTimeoutS: 30,
    showSecrets: false,
    policy: { readOnly: false, confirm: "billable-and-destructive" },
    selection: {},
  });
});

Deno.test("loadConfig() lets a flag beat its env var", () => {
  const result = loadConfig(
    { restBaseUrl: "https://flag.example.com/", logLevel: "debug", requestTimeoutS: "5" },
    {
      RUNPOD_API_KEY: KEY,
      RUNPOD_API_BASE_URL: "https://env.example.com",
      RUNPOD_MCP_LOG_LEVEL: "error",
      RUNPOD_MCP_REQUEST_TIMEOUT: "60",
    },
  );
  assert.ok(result.ok);
  assert.equal(result.config.restBaseUrl, "https://flag.example.com");
  assert.equal(result.config.logLevel, "debug");
  assert.equal(result.config.requestTimeoutS, 5);
});

Deno.test("loadConfig() reads every setting from the environment", () => {
  const result = loadConfig({}, {
    RUNPOD_API_KEY: KEY,
    RUNPOD_API_BASE_URL: "https://rest.example.com",
    RUNPOD_SERVERLESS_API_URL: "https://jobs.example.com/v2",
    RUNPOD_GRAPHQL_URL: "https://gql.example.com/graphql",
    RUNPOD_MCP_LOG_LEVEL: "WARN",
    RUNPOD_MCP_REQUEST_TIMEOUT: "12.5",
  });
  assert.ok(result.ok);
  assert.equal(result.config.serverlessBaseUrl, "https://jobs.example.com/v2");
  assert.equal(result.config.graphqlUrl, "https://gql.example.com/graphql");
  assert.equal(result.config.logLevel, "warn");
  assert.equal(result.config.requestTimeoutS, 12.5);
});

Deno.test("loadConfig() requires an API key unless sandbox mode is on", () => {
  const [error] = errorsOf(loadConfig({}, {}));
  assert.match(error ?? "", /RUNPOD_API_KEY/);
  assert.match(error ?? "", /--sandbox/);
  const sandbox = loadConfig({ sandbox: true }, {});
  assert.ok(sandbox.ok);
  assert.equal(sandbox.config.apiKey, undefined);
  const viaEnv = loadConfig({}, { RUNPOD_MCP_SANDBOX: "true" });
  assert.ok(viaEnv.ok && viaEnv.config.sandbox);
});

Deno.test("loadConfig() never puts the key in sandbox config or in an error", () => {
  const sandbox = loadConfig({ sandbox: true }, { RUNPOD_API_KEY: KEY });
  assert.ok(sandbox.ok);
  assert.equal(sandbox.config.apiKey, undefined);
  const bad = " rpa_secretwithspaces ";
  const errors = errorsOf(loadConfig({}, { RUNPOD_API_KEY: bad }));
  assert.equal(errors.length, 1);
  assert.match(errors[0] ?? "", /whitespace/);
  assert.doesNotMatch(errors.join("\n"), /secretwithspaces/);
});

Deno.test("loadConfig() names both the flag and the env var in each error", () => {
  const errors = errorsOf(loadConfig(
    { logLevel: "loud", requestTimeoutS: "0", graphqlUrl: "not a url" },
    { RUNPOD_API_KEY: KEY, RUNPOD_SERVERLESS_API_URL: "ftp://x.example.com" },
  ));
  assert.equal(errors.length, 4);
  const byFlag = (flag: string) => errors.find((e) => e.includes(flag)) ?? "";
  assert.match(byFlag("--log-level"), /RUNPOD_MCP_LOG_LEVEL.*"loud" is not one of debug/);
  assert.match(byFlag("--request-timeout"), /RUNPOD_MCP_REQUEST_TIMEOUT.*from 1 to 600/);
  assert.match(byFlag("--graphql-url"), /RUNPOD_GRAPHQL_URL.*is not a URL/);
  assert.match(byFlag("--serverless-api-url"), /RUNPOD_SERVERLESS_API_URL.*https/);
});

Deno.test("loadConfig() refuses plain http except to loopback", () => {
  const [error] = errorsOf(
    loadConfig({ restBaseUrl: "http://api.example.com" }, { RUNPOD_API_KEY: KEY }),
  );
  assert.match(error ?? "", /clear text/);
  for (const url of ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"]) {
    const result = loadConfig({ restBaseUrl: url }, { RUNPOD_API_KEY: KEY });
    assert.ok(result.ok, url);
  }
});

Deno.test("loadConfig() rejects a sandbox env value that is not a boolean", () => {
  const [error] = errorsOf(loadConfig({}, { RUNPOD_MCP_SANDBOX: "maybe", RUNPOD_API_KEY: KEY }));
  assert.match(error ?? "", /--sandbox \(env RUNPOD_MCP_SANDBOX\).*"maybe"/);
});

Deno.test("ENV_NAMES lists every setting's env var once", () => {
  assert.deepEqual(
    [...ENV_NAMES].sort(),
    Object.values(SETTINGS).map((s) => s.env).sort(),
  );
  assert.equal(new Set(ENV_NAMES).size, ENV_NAMES.length);
  assert.equal(DEFAULTS.requestTimeoutS, 30);
});

Deno.test("parseCli() answers help and version before validating settings", () => {
  assert.deepEqual(parseCli(["--help"], {}), { kind: "help" });
  assert.deepEqual(parseCli(["--version"], {}), { kind: "version" });
});

Deno.test("parseCli() turns unknown flags and stray arguments into usage errors", () => {
  const unknown = parseCli(["--sandbx"], {});
  assert.equal(unknown.kind, "usage-error");
  assert.match(unknown.kind === "usage-error" ? unknown.errors[0] ?? "" : "", /--sandbx/);
  assert.equal(parseCli(["extra"], {}).kind, "usage-error");
});

Deno.test("parseCli() refuses an API key given as a flag without echoing it", () => {
  const result = parseCli(["--api-key", KEY, "--sandbox"], {});
  assert.equal(result.kind, "usage-error");
  const text = result.kind === "usage-error" ? result.errors.join("\n") : "";
  assert.match(text, /RUNPOD_API_KEY/);
  assert.doesNotMatch(text, new RegExp(KEY));
});

Deno.test("parseCli() builds a run request from flags and env", () => {
  const result = parseCli(["--sandbox", "--log-level", "debug"], {});
  assert.equal(result.kind, "run");
  assert.ok(result.kind === "run" && result.config.sandbox);
  assert.equal(result.kind === "run" ? result.config.logLevel : "", "debug");
});

Deno.test("loadConfig() turns on showSecrets from the flag or the env var", () => {
  const viaFlag = loadConfig({ showSecrets: true }, { RUNPOD_API_KEY: KEY });
  assert.ok(viaFlag.ok && viaFlag.config.showSecrets);
  const viaEnv = loadConfig({}, { RUNPOD_API_KEY: KEY, RUNPOD_MCP_SHOW_SECRETS: "1" });
  assert.ok(viaEnv.ok && viaEnv.config.showSecrets);
  const [error] = errorsOf(loadConfig({}, { RUNPOD_API_KEY: KEY, RUNPOD_MCP_SHOW_SECRETS: "y" }));
  assert.match(error ?? "", /--show-secrets \(env RUNPOD_MCP_SHOW_SECRETS\)/);
});

Deno.test("loadConfig() reads guardrails from flags and env, flag first", () => {
  const result = loadConfig(
    { confirm: "destructive", maxHourlyCost: "2.5", allowedGpuTypes: "RTX 4090, NVIDIA A40" },
    {
      RUNPOD_API_KEY: KEY,
      RUNPOD_MCP_CONFIRM: "never",
      RUNPOD_MCP_READ_ONLY: "true",
      RUNPOD_MCP_MAX_TOTAL_HOURLY_COST: "10",
      RUNPOD_MCP_MAX_GPU_COUNT: "2",
      RUNPOD_MCP_MAX_WORKERS: "4",
      RUNPOD_MCP_ALLOWED_DATA_CENTERS: "US-KS-2,EU-RO-1",
      RUNPOD_MCP_TOOLSETS: "catalog,pods",
      RUNPOD_MCP_EXCLUDE_TOOLS: "terminate_pod",
    },
  );
  assert.ok(result.ok);
  assert.deepEqual(result.config.policy, {
    readOnly: true,
    confirm: "destructive",
    maxHourlyCost: 2.5,
    maxTotalHourlyCost: 10,
    maxGpuCount: 2,
    maxWorkers: 4,
    allowedGpuTypes: ["RTX 4090", "NVIDIA A40"],
    allowedDataCenters: ["US-KS-2", "EU-RO-1"],
  });
  assert.deepEqual(result.config.selection, {
    toolsets: ["catalog", "pods"],
    excludeTools: ["terminate_pod"],
  });
});

Deno.test("loadConfig() rejects bad guardrail values naming flag and env var", () => {
  const errors = errorsOf(loadConfig(
    { confirm: "sometimes", maxHourlyCost: "-1", maxGpuCount: "1.5", allowedDataCenters: " , " },
    { RUNPOD_API_KEY: KEY },
  ));
  assert.equal(errors.length, 4);
  assert.match(
    errors.join("\n"),
    /--confirm \(env RUNPOD_MCP_CONFIRM\): "sometimes" is not one of never/,
  );
  assert.match(errors.join("\n"), /--max-hourly-cost \(env RUNPOD_MCP_MAX_HOURLY_COST\)/);
  assert.match(
    errors.join("\n"),
    /--max-gpu-count \(env RUNPOD_MCP_MAX_GPU_COUNT\): "1.5" must be a whole number/,
  );
  assert.match(errors.join("\n"), /--allowed-data-centers/);
});

Deno.test("parseCli() refuses unknown toolsets and tools, and a selection that leaves nothing", () => {
  const badSet = parseCli(["--sandbox", "--toolsets", "pods,gpus"], {});
  assert.equal(badSet.kind, "usage-error");
  assert.match(
    badSet.kind === "usage-error" ? badSet.errors[0] ?? "" : "",
    /Unknown toolset gpus; toolsets are catalog, pods/,
  );
  const badTool = parseCli(["--sandbox", "--exclude-tools", "delete_everything"], {});
  assert.match(
    badTool.kind === "usage-error" ? badTool.errors[0] ?? "" : "",
    /Unknown tool delete_everything/,
  );
  const empty = parseCli(["--sandbox", "--tools", "create_pod", "--read-only"], {});
  assert.match(empty.kind === "usage-error" ? empty.errors[0] ?? "" : "", /leave none/);
});
