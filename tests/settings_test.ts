import assert from "node:assert/strict";
import { LOG_LEVELS } from "../src/log.ts";
import { CONFIRM_MODES } from "../src/policy/guard.ts";
import {
  ALLOW_ENV,
  ENV_PREFIX,
  parseFlags,
  SECRET_ENV_PREFIX,
  type Setting,
  settingDefault,
  type SettingKey,
  settingName,
  settingRule,
  SETTINGS,
  settingsHelp,
} from "../src/settings.ts";
import { currentSection, tableCells } from "./_tool_table.ts";

const ROWS = Object.entries(SETTINGS) as [SettingKey, Setting][];
const README = new URL("../README.md", import.meta.url);
const DENO_JSON = new URL("../deno.json", import.meta.url);

/** Markers around the README's Configuration table, which this file checks. */
const README_START = "<!-- settings:start (checked by tests/settings_test.ts) -->";
const README_END = "<!-- settings:end -->";

/** The README shows these groups in its Configuration table; the Safety section covers the rest. */
const README_GROUPS: readonly Setting["group"][] = ["general", "http", "state"];

/** Renders the Configuration table, padded as `deno fmt` pads it. */
function renderReadmeTable(): string {
  const code = (text: string) => `\`${text}\``;
  const rows = ROWS.filter(([, s]) => README_GROUPS.includes(s.group)).map(([key, s]) => [
    s.flag ? code(s.flag) : "–",
    code(s.env),
    s.default !== undefined
      ? code(String(s.default))
      : s.defaultText ?? (s.type.kind === "boolean" ? "off" : "–"),
    [s.help, s.type.kind === "boolean" ? "" : settingRule(key)].filter(Boolean).join("; "),
  ]);
  const table = [
    ["Flag", "Environment variable", "Default", "Meaning"],
    ...rows,
    [`${code("--version")}, ${code("--help")}`, "–", "–", "Print and exit"],
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [
    README_START,
    "",
    line(table[0]!),
    line(widths.map((w) => "-".repeat(w))),
    ...table.slice(1).map(line),
    "",
    README_END,
  ].join("\n");
}

function allowEnvOf(task: string): string | undefined {
  return task.split(/\s+/).find((word) => word.startsWith("--allow-env="))
    ?.slice("--allow-env=".length);
}

Deno.test("every env var the server reads starts with the one prefix the tasks allow", async () => {
  for (const name of [...ROWS.map(([, s]) => s.env), SECRET_ENV_PREFIX]) {
    assert.ok(name.startsWith(ENV_PREFIX), `${name} lacks the ${ENV_PREFIX} prefix`);
  }
  const tasks: Record<string, string> = JSON.parse(await Deno.readTextFile(DENO_JSON)).tasks;
  const expected = ALLOW_ENV.join(",");
  assert.equal(expected, "RUNPOD_*");
  for (const name of ["start", "sandbox", "serve", "compile"]) {
    assert.equal(
      allowEnvOf(tasks[name] ?? ""),
      expected,
      `deno.json's "${name}" task has a stale --allow-env list; paste this:\n--allow-env=${expected}`,
    );
  }
});

Deno.test("SETTINGS gives each setting a unique flag or a refused flag, and a unique env var", () => {
  const flags = ROWS.flatMap(([, s]) => [s.flag, s.refusedFlag?.flag]).filter(Boolean);
  flags.push("--version", "--help");
  assert.equal(new Set(flags).size, flags.length, "a flag is used twice");
  const envs = ROWS.map(([, s]) => s.env);
  assert.equal(new Set(envs).size, envs.length, "an env var is used twice");
  for (const [key, s] of ROWS) {
    assert.ok((s.flag === undefined) !== (s.refusedFlag === undefined), key);
    assert.match(s.flag ?? s.refusedFlag?.flag ?? "", /^--[a-z]+(-[a-z]+)*$/, key);
    assert.match(s.env, /^RUNPOD_[A-Z_]+$/, key);
    assert.ok(!s.env.startsWith("RUNPOD_MCP_SECRET_"), `${key} collides with the secret prefix`);
    assert.equal(s.arg === undefined, s.type.kind === "boolean" || s.type.kind === "secret", key);
  }
});

Deno.test("SETTINGS' choices are the guard's confirm modes and the logger's levels", () => {
  assert.deepEqual(SETTINGS.confirm.type.choices, CONFIRM_MODES);
  assert.deepEqual(SETTINGS.logLevel.type.choices, LOG_LEVELS);
});

Deno.test("settingName() names the flag and the env var, or only the env var of a secret", () => {
  assert.equal(
    settingName("maxTotalHourlyCost"),
    "--max-total-hourly-cost (env RUNPOD_MCP_MAX_TOTAL_HOURLY_COST)",
  );
  assert.equal(
    settingName("maxGpuCount", { inParentheses: true }),
    "--max-gpu-count, env RUNPOD_MCP_MAX_GPU_COUNT",
  );
  assert.equal(settingName("apiKey"), "env RUNPOD_API_KEY");
  assert.equal(settingName("httpToken", { inParentheses: true }), "env RUNPOD_MCP_HTTP_TOKEN");
});

Deno.test("parseFlags() accepts every flag in the table under its setting's name", () => {
  const args = ROWS.flatMap(([, s]) =>
    s.flag === undefined ? [] : s.type.kind === "boolean" ? [s.flag] : [s.flag, `v-${s.env}`]
  );
  const result = parseFlags(args);
  assert.equal(result.kind, "flags");
  const flags = result.kind === "flags" ? result.flags as Record<string, unknown> : {};
  for (const [key, s] of ROWS) {
    const expected = s.flag === undefined
      ? undefined
      : s.type.kind === "boolean"
      ? true
      : `v-${s.env}`;
    assert.equal(flags[key], expected, key);
  }
});

Deno.test("parseFlags() answers help and version, and refuses unknown flags", () => {
  assert.deepEqual(parseFlags(["-h"]), { kind: "help" });
  assert.deepEqual(parseFlags(["--version", "--port", "x"]), { kind: "version" });
  const unknown = parseFlags(["--htp"]);
  assert.equal(unknown.kind, "usage-error");
  assert.match(unknown.kind === "usage-error" ? unknown.errors.join() : "", /--htp/);
  assert.equal(parseFlags(["--http=yes"]).kind, "usage-error");
});

Deno.test("parseFlags() refuses every secret given as a flag, pointing at its env var", () => {
  const value = "s3cret-value-that-must-not-be-echoed-0000";
  for (const [key, s] of ROWS.filter(([, s]) => s.refusedFlag)) {
    const result = parseFlags(["--sandbox", s.refusedFlag!.flag, value]);
    assert.equal(result.kind, "usage-error", key);
    const text = result.kind === "usage-error" ? result.errors.join("\n") : "";
    assert.match(text, new RegExp(`^Cannot take .* as a flag: .*set env ${s.env} instead$`), key);
    assert.ok(!text.includes(value), key);
  }
});

Deno.test("settingsHelp() shows every setting, with its env var and default, in its group", () => {
  const help = settingsHelp({ toolsets: ["catalog", "pods"] });
  for (const [key, s] of ROWS) {
    assert.ok(help.includes(s.flag ?? `env ${s.env}`), key);
    assert.ok(help.includes(s.env), key);
    const fallback = settingDefault(key);
    if (fallback !== undefined) assert.ok(help.includes(`default ${fallback}`), key);
  }
  assert.match(help, /from catalog, pods/);
  const httpBlock = help.slice(help.indexOf("\nHTTP"), help.indexOf("\nShared state"));
  for (const [key, s] of ROWS.filter(([, s]) => s.group === "http")) {
    assert.ok(httpBlock.includes(s.env), `${key} is not in the HTTP group`);
  }
  for (const line of help.split("\n")) assert.ok(line.length <= 100, line);
});

Deno.test("help text names only flags and env vars that exist", () => {
  const known = new Set([
    ...ROWS.flatMap(([, s]) => [s.flag, s.refusedFlag?.flag, s.env]),
    "--version",
    "--help",
  ]);
  const text = settingsHelp() + ROWS.map(([, s]) => s.help).join("\n");
  for (const name of text.match(/--[a-z][a-z-]*|RUNPOD_[A-Z_]+/g) ?? []) {
    assert.ok(known.has(name), `help text names ${name}, which is not in SETTINGS`);
  }
});

Deno.test("README's Configuration table matches SETTINGS", async () => {
  const readme = await Deno.readTextFile(README);
  const current = currentSection(readme, README_START, README_END);
  const expected = renderReadmeTable();
  assert.ok(
    current !== undefined,
    `README.md lost its settings table markers; paste:\n${expected}`,
  );
  assert.deepEqual(
    tableCells(current),
    tableCells(expected),
    `README's Configuration table is stale; paste this:\n${expected}`,
  );
});

Deno.test("README names every safety setting's flag and env var", async () => {
  const readme = await Deno.readTextFile(README);
  for (const [key, s] of ROWS.filter(([, s]) => s.group === "safety")) {
    assert.ok(readme.includes(`\`${s.flag}`), `README lacks ${s.flag} (${key})`);
    assert.ok(readme.includes(`\`${s.env}\``), `README lacks ${s.env} (${key})`);
  }
});
