import assert from "node:assert/strict";
import { type ConfigFlags, DEFAULTS, ENV_NAMES, loadConfig, SETTINGS } from "../src/config.ts";
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

Deno.test("loadConfig() refuses a key that is an unfilled ${…} placeholder, saying so", () => {
  const [error] = errorsOf(loadConfig({}, { RUNPOD_API_KEY: "${user_config.api_key}" }));
  assert.match(error ?? "", /RUNPOD_API_KEY/);
  assert.match(error ?? "", /unfilled placeholder/);
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

const TOKEN = "t0ken-for-http-callers-0123456789abcdef";
const SECRET = "signing-key-shared-by-replicas-0123456789";

function httpOf(result: ReturnType<typeof loadConfig>) {
  assert.ok(result.ok, result.ok ? "" : result.errors.join("\n"));
  return result.config.http;
}

Deno.test("loadConfig() leaves HTTP off by default and fills its defaults with --http", () => {
  const stdio = loadConfig({ sandbox: true }, {});
  assert.ok(stdio.ok);
  assert.equal("http" in stdio.config, false);
  assert.equal("stateUrl" in stdio.config, false);
  assert.equal("tokenSecret" in stdio.config, false);
  assert.deepEqual(httpOf(loadConfig({ sandbox: true, http: true }, {})), {
    host: "127.0.0.1",
    port: 8080,
    auth: "token",
    allowedOrigins: [],
    maxBodyBytes: 1048576,
    rateLimitPerMinute: 600,
  });
});

Deno.test("loadConfig() reads HTTP settings from env, and a flag beats its env var", () => {
  const http = httpOf(loadConfig(
    { host: "0.0.0.0", port: "0", rateLimitPerMinute: "30" } satisfies ConfigFlags,
    {
      RUNPOD_API_KEY: KEY,
      RUNPOD_MCP_HTTP: "true",
      RUNPOD_MCP_HOST: "localhost",
      RUNPOD_MCP_PORT: "9000",
      RUNPOD_MCP_HTTP_TOKEN: TOKEN,
      RUNPOD_MCP_ALLOWED_ORIGINS: "https://App.Example.com, http://localhost:5173/",
      RUNPOD_MCP_MAX_BODY_BYTES: "2048",
      RUNPOD_MCP_RATE_LIMIT: "60",
    },
  ));
  assert.deepEqual(http, {
    host: "0.0.0.0",
    port: 0,
    auth: "token",
    token: TOKEN,
    allowedOrigins: ["https://app.example.com", "http://localhost:5173"],
    maxBodyBytes: 2048,
    rateLimitPerMinute: 30,
  });
});

Deno.test("loadConfig() refuses HTTP-only settings without --http, naming flag or env var", () => {
  const errors = errorsOf(loadConfig(
    { sandbox: true, port: "9000", allowedOrigins: "https://a.example.com" },
    { RUNPOD_MCP_HTTP_TOKEN: TOKEN, RUNPOD_MCP_PORT: "9001", RUNPOD_MCP_HTTP_AUTH: "token" },
  ));
  assert.equal(errors.length, 4);
  const text = errors.join("\n");
  assert.match(
    text,
    /^Cannot use --port and env RUNPOD_MCP_PORT without --http \(env RUNPOD_MCP_HTTP\): .*add --http, or drop --port and unset RUNPOD_MCP_PORT$/m,
  );
  assert.match(text, /^Cannot use env RUNPOD_MCP_HTTP_TOKEN without --http/m);
  assert.match(text, /^Cannot use env RUNPOD_MCP_HTTP_AUTH without --http/m);
  assert.match(text, /^Cannot use --allowed-origins without --http/m);
  assert.ok(!text.includes(TOKEN));
  // State settings are not HTTP-only: several stdio processes may share them too.
  const shared = loadConfig({ sandbox: true, stateUrl: "redis://localhost:6379" }, {
    RUNPOD_MCP_TOKEN_SECRET: SECRET,
  });
  assert.ok(shared.ok);
  assert.equal(shared.config.stateUrl, "redis://localhost:6379");
  assert.equal(shared.config.tokenSecret, SECRET);
});

Deno.test("loadConfig() refuses token mode off loopback without RUNPOD_MCP_HTTP_TOKEN", () => {
  for (const host of ["0.0.0.0", "10.1.2.3", "example.com", "::"]) {
    const [error] = errorsOf(loadConfig({ http: true, host }, { RUNPOD_API_KEY: KEY }));
    assert.match(error ?? "", /^Cannot serve HTTP on .* without a token: .*could spend it/, host);
    assert.match(error ?? "", /env RUNPOD_MCP_HTTP_TOKEN/);
  }
  for (const host of ["127.0.0.1", "::1", "[::1]", "localhost"]) {
    assert.ok(loadConfig({ http: true, host }, { RUNPOD_API_KEY: KEY }).ok, host);
  }
  const withToken = loadConfig({ http: true, host: "0.0.0.0" }, {
    RUNPOD_API_KEY: KEY,
    RUNPOD_MCP_HTTP_TOKEN: TOKEN,
  });
  assert.equal(httpOf(withToken)?.token, TOKEN);
  // The simulator spends nothing, so a sandbox may listen anywhere without a token.
  assert.ok(loadConfig({ sandbox: true, http: true, host: "0.0.0.0" }, {}).ok);
});

Deno.test("loadConfig() lets --http-auth runpod-key start without a key, and only then", () => {
  const byo = loadConfig({ http: true, httpAuth: "runpod-key" }, {});
  assert.ok(byo.ok);
  assert.equal(byo.config.apiKey, undefined);
  assert.equal(byo.config.http?.auth, "runpod-key");
  const [withKey, ...rest] = errorsOf(
    loadConfig({ http: true, httpAuth: "runpod-key" }, { RUNPOD_API_KEY: KEY }),
  );
  assert.equal(rest.length, 0);
  assert.match(withKey ?? "", /^Cannot use --http-auth runpod-key .* while env RUNPOD_API_KEY/);
  assert.match(withKey ?? "", /who pays; unset RUNPOD_API_KEY/);
  assert.ok(!(withKey ?? "").includes(KEY));
  const [withToken] = errorsOf(loadConfig({ http: true, httpAuth: "runpod-key" }, {
    RUNPOD_MCP_HTTP_TOKEN: TOKEN,
  }));
  assert.match(
    withToken ?? "",
    /^Cannot use env RUNPOD_MCP_HTTP_TOKEN with --http-auth runpod-key/,
  );
  const [missing] = errorsOf(loadConfig({ http: true }, {}));
  assert.match(missing ?? "", /^Missing env RUNPOD_API_KEY: .*--http-auth runpod-key/);
});

Deno.test("loadConfig() serves HTTP in sandbox mode with no key at all", () => {
  const result = parseCli(["--sandbox", "--http", "--port", "0"], {});
  assert.equal(result.kind, "run");
  assert.equal(result.kind === "run" ? result.config.http?.port : -1, 0);
  assert.equal(result.kind === "run" ? result.config.apiKey : "", undefined);
});

Deno.test("loadConfig() rejects bad HTTP values naming flag and env var", () => {
  const errors = errorsOf(loadConfig({
    sandbox: true,
    http: true,
    host: "example.com:80",
    port: "65536",
    httpAuth: "basic",
    allowedOrigins: "https://ok.example.com,https://a.example.com/app,*",
    maxBodyBytes: "1023",
    rateLimitPerMinute: "0",
  }, {}));
  const text = errors.join("\n");
  assert.equal(errors.length, 7, text);
  assert.match(text, /--host \(env RUNPOD_MCP_HOST\): "example.com:80" is not a host name.*--port/);
  assert.match(
    text,
    /--port \(env RUNPOD_MCP_PORT\): "65536" must be a whole number from 0 to 65535/,
  );
  assert.match(
    text,
    /--http-auth \(env RUNPOD_MCP_HTTP_AUTH\): "basic" is not one of token, runpod-key/,
  );
  assert.match(
    text,
    /--allowed-origins \(env RUNPOD_MCP_ALLOWED_ORIGINS\): "https:\/\/a.example.com\/app" is not an origin/,
  );
  assert.match(text, /--allowed-origins .*: "\*" is not an origin/);
  assert.match(
    text,
    /--max-body-bytes \(env RUNPOD_MCP_MAX_BODY_BYTES\): "1023" must be a whole number of at least 1024/,
  );
  assert.match(
    text,
    /--rate-limit \(env RUNPOD_MCP_RATE_LIMIT\): "0" must be a whole number of at least 1/,
  );
  for (const port of ["-1", "1.5", "http"]) {
    assert.equal(errorsOf(loadConfig({ sandbox: true, http: true, port }, {})).length, 1, port);
  }
});

Deno.test("loadConfig() checks the HTTP token and the token secret without echoing them", () => {
  const short = "short-token-123";
  const spaced = "a token with spaces that is long enough, surely";
  const errors = errorsOf(loadConfig({ sandbox: true, http: true }, {
    RUNPOD_MCP_HTTP_TOKEN: short,
    RUNPOD_MCP_TOKEN_SECRET: short,
  }));
  assert.equal(errors.length, 2);
  assert.match(
    errors.join("\n"),
    /Invalid env RUNPOD_MCP_HTTP_TOKEN: it is 15 characters long; use at least 32/,
  );
  assert.match(
    errors.join("\n"),
    /Invalid env RUNPOD_MCP_TOKEN_SECRET: it is 15 characters long; use at least 32/,
  );
  const [error] = errorsOf(
    loadConfig({ sandbox: true, http: true }, { RUNPOD_MCP_HTTP_TOKEN: spaced }),
  );
  assert.match(error ?? "", /RUNPOD_MCP_HTTP_TOKEN: it must be printable ASCII without spaces/);
  assert.ok(![...errors, error].join("\n").includes(short) && !(error ?? "").includes(spaced));
});

Deno.test("loadConfig() accepts only redis:// and rediss:// state URLs, never echoing a password", () => {
  for (const url of ["redis://localhost:6379", "rediss://:pw@cache.example.com:6380/2"]) {
    const result = loadConfig({ sandbox: true, stateUrl: url }, {});
    assert.ok(result.ok && result.config.stateUrl === url, url);
  }
  for (const url of ["https://user:hunter2pass@cache.example.com", "hunter2pass", "redis://"]) {
    const [error] = errorsOf(loadConfig({ sandbox: true }, { RUNPOD_MCP_STATE_URL: url }));
    assert.match(error ?? "", /^Invalid --state-url \(env RUNPOD_MCP_STATE_URL\): it /, url);
    assert.ok(!(error ?? "").includes("hunter2pass"), url);
  }
});

Deno.test("loadConfig() refuses an over-long value where it enters", () => {
  const [error] = errorsOf(loadConfig({ sandbox: true, allowedGpuTypes: "x".repeat(5000) }, {}));
  assert.match(error ?? "", /--allowed-gpu-types .*: it is longer than 4096 characters/);
});

Deno.test("parseCli() reads the HTTP flags and refuses secrets given as flags", () => {
  const result = parseCli(
    ["--http", "--http-auth", "runpod-key", "--allowed-origins", "https://a.example.com"],
    {},
  );
  assert.equal(result.kind, "run");
  assert.deepEqual(result.kind === "run" ? result.config.http?.allowedOrigins : [], [
    "https://a.example.com",
  ]);
  for (const flag of ["--http-token", "--token-secret"]) {
    const refused = parseCli(["--sandbox", "--http", flag, TOKEN], {});
    assert.equal(refused.kind, "usage-error", flag);
    const text = refused.kind === "usage-error" ? refused.errors.join("\n") : "";
    assert.match(text, /flags show up in process listings/);
    assert.ok(!text.includes(TOKEN));
  }
});

Deno.test("loadConfig() checks an empty flag value instead of ignoring it", () => {
  const errors = errorsOf(loadConfig(
    { maxHourlyCost: "", toolsets: "", port: "", http: true, sandbox: true },
    { RUNPOD_MCP_MAX_GPU_COUNT: "" },
  ));
  assert.equal(errors.length, 3, errors.join("\n"));
  assert.match(errors.join("\n"), /--max-hourly-cost .*: "" must be a number of at least 0/);
  assert.match(errors.join("\n"), /--toolsets .*: give a comma-separated list/);
  assert.match(errors.join("\n"), /--port .*: "" must be a whole number from 0 to 65535/);
});
