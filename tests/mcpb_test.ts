/**
 * The bundle's manifest against the server itself: its tools and prompts, and the env a desktop
 * host starts it with. No npm package is needed here; `packaging/mcpb.ts check` (CI) runs the
 * pinned mcpb CLI on it.
 */
import assert from "node:assert/strict";
import { parseCli } from "../src/cli.ts";
import { ENV_NAMES, SETTINGS } from "../src/config.ts";
import { DEFAULT_POLICY } from "../src/policy/guard.ts";
import type { SettingKey } from "../src/settings.ts";
import {
  buildManifest,
  entryPoint,
  hostLaunch,
  type Manifest,
  MANIFEST_VERSION,
  type McpConfig,
  PLATFORMS,
  USER_CONFIG,
  type UserValue,
} from "../packaging/mcpb.ts";
import { startHarness } from "./_harness.ts";
import { compilePermissionFlags, run } from "./_spawn.ts";

const manifest = await buildManifest({ platform: "linux" });

const KEY = "rpa_MCPBTESTKEY0123456789";

/** Starts as a host would, then parses the command line as the server does. */
function launchAndParse(userConfig?: Record<string, UserValue>) {
  const launch = hostLaunch(manifest, {
    dirname: "/Users/someone/Library/Claude/Extensions/runpod-mcp",
    ...(userConfig ? { userConfig } : {}),
  });
  return { launch, request: parseCli(launch.args, launch.env) };
}

function literals(launch: McpConfig): string[] {
  return [launch.command, ...launch.args, ...Object.values(launch.env)].filter((text) =>
    text.includes("${")
  );
}

Deno.test("the manifest lists exactly the tools and prompts a client sees, in order", async () => {
  await using h = await startHarness();
  const { tools } = await h.client.listTools();
  assert.deepEqual(
    manifest.tools,
    tools.map(({ name, description }) => ({ name, description })),
  );
  const { prompts } = await h.client.listPrompts();
  assert.deepEqual(
    manifest.prompts.map(({ name, description, arguments: args }) => ({ name, description, args })),
    prompts.map((p) => ({
      name: p.name,
      description: p.description,
      args: p.arguments?.length ? p.arguments.map((a) => a.name) : undefined,
    })),
  );
  for (const prompt of manifest.prompts) {
    assert.ok(prompt.text.length > 100, `${prompt.name} has no plan text`);
  }
});

Deno.test("the manifest runs the binary of its platform, with settings in env only", async () => {
  assert.equal(manifest.manifest_version, MANIFEST_VERSION);
  for (const platform of PLATFORMS) {
    const m = await buildManifest({ platform });
    assert.equal(m.server.type, "binary");
    assert.equal(m.server.entry_point, entryPoint(platform));
    assert.equal(m.server.mcp_config.command, `\${__dirname}/${entryPoint(platform)}`);
    assert.deepEqual(m.server.mcp_config.args, []);
    assert.deepEqual(m.compatibility.platforms, [platform]);
  }
  assert.equal(entryPoint("win32"), "server/runpod-mcp.exe");
  assert.equal(entryPoint("darwin"), "server/runpod-mcp");
});

Deno.test("every env var the bundle sets is a setting the server reads", () => {
  const env = manifest.server.mcp_config.env;
  assert.deepEqual(
    Object.keys(env),
    USER_CONFIG.map((row) => SETTINGS[row.setting].env),
  );
  for (const name of Object.keys(env)) assert.ok(ENV_NAMES.includes(name), name);
  for (const row of USER_CONFIG) {
    assert.equal(env[SETTINGS[row.setting].env], `\${user_config.${row.key}}`);
  }
});

Deno.test("the bundle offers the key and the main guardrails", () => {
  const offered = new Set<SettingKey>(USER_CONFIG.map((row) => row.setting));
  for (
    const key of [
      "apiKey",
      "sandbox",
      "readOnly",
      "maxHourlyCost",
      "maxTotalHourlyCost",
      "confirm",
    ] as const
  ) {
    assert.ok(offered.has(key), key);
  }
});

Deno.test("only the secret settings are marked sensitive, and none is required", () => {
  for (const row of USER_CONFIG) {
    const option = manifest.user_config[row.key]!;
    const secret = SETTINGS[row.setting].type.kind === "secret";
    assert.equal(option.sensitive === true, secret, row.key);
    assert.notEqual(option.required, true, row.key);
    assert.ok(option.default !== undefined, `${row.key} has no default`);
    assert.ok(option.title.length > 0 && option.description.length > 0, row.key);
  }
  assert.equal(manifest.user_config.api_key?.sensitive, true);
});

Deno.test("a sandbox user with every other option at its default gets the default policy", () => {
  const { launch, request } = launchAndParse({ sandbox: true });
  assert.deepEqual(literals(launch), []);
  assert.equal(
    launch.command,
    "/Users/someone/Library/Claude/Extensions/runpod-mcp/server/runpod-mcp",
  );
  assert.equal(request.kind, "run");
  if (request.kind !== "run") return;
  assert.equal(request.config.sandbox, true);
  assert.equal(request.config.apiKey, undefined);
  assert.deepEqual(request.config.policy, DEFAULT_POLICY);
  assert.deepEqual(request.config.selection, {});
});

Deno.test("with every option at its default the server asks for a key and nothing else", () => {
  const { launch, request } = launchAndParse();
  assert.deepEqual(literals(launch), []);
  assert.equal(request.kind, "usage-error");
  if (request.kind !== "usage-error") return;
  assert.equal(request.errors.length, 1, request.errors.join("\n"));
  assert.match(request.errors[0]!, /^Missing env RUNPOD_API_KEY: .*RUNPOD_MCP_SANDBOX=true/);
});

Deno.test("values a person would type are accepted as typed", () => {
  const { launch, request } = launchAndParse({
    api_key: KEY,
    read_only: true,
    max_hourly_cost: "2.50",
    max_total_hourly_cost: 10,
    confirm: "destructive",
  });
  assert.deepEqual(literals(launch), []);
  assert.equal(request.kind, "run", JSON.stringify(request));
  if (request.kind !== "run") return;
  assert.equal(request.config.apiKey, KEY);
  assert.equal(request.config.sandbox, false);
  assert.deepEqual(request.config.policy, {
    readOnly: true,
    confirm: "destructive",
    maxHourlyCost: 2.5,
    maxTotalHourlyCost: 10,
  });
});

Deno.test("each option's default alone is accepted next to a key", () => {
  for (const row of USER_CONFIG) {
    if (row.key === "api_key") continue;
    const option = manifest.user_config[row.key]!;
    const { request } = launchAndParse({ api_key: KEY, [row.key]: option.default! });
    assert.equal(request.kind, "run", `${row.key}: ${JSON.stringify(request)}`);
  }
});

Deno.test("a typo in a cap is the server's clear error, naming the env var", () => {
  const { request } = launchAndParse({ sandbox: true, max_hourly_cost: "$5" });
  assert.equal(request.kind, "usage-error");
  if (request.kind !== "usage-error") return;
  assert.match(request.errors[0]!, /RUNPOD_MCP_MAX_HOURLY_COST.*"\$5" must be a number/);
});

Deno.test("the host emulation keeps what it cannot substitute, as a host does", () => {
  const bad: Pick<Manifest, "server" | "user_config"> = {
    server: {
      ...manifest.server,
      mcp_config: {
        command: "${__dirname}/server/runpod-mcp",
        args: ["${user_config.empty}", "--x=${user_config.missing}"],
        env: { A: "${user_config.missing}", B: "${user_config.empty}" },
      },
    },
    user_config: { empty: { type: "string", title: "t", description: "d", default: "" } },
  };
  const launch = hostLaunch(bad, { dirname: "/b" });
  assert.deepEqual(launch.args, ["${user_config.empty}", "--x=${user_config.missing}"]);
  assert.deepEqual(launch.env, { A: "${user_config.missing}", B: "" });
  assert.throws(
    () =>
      hostLaunch({
        ...bad,
        user_config: { need: { type: "string", title: "t", description: "d", required: true } },
      }, { dirname: "/b" }),
    /required option need has no value/,
  );
});

Deno.test("the server started with the default options exits 2 with the missing-key error", async () => {
  const { launch } = launchAndParse();
  const flags = await compilePermissionFlags();
  const result = await run(["run", ...flags, "main.ts"], { env: launch.env });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /^runpod-mcp: Missing env RUNPOD_API_KEY: /m);
});
