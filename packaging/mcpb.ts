/**
 * The MCP Bundle (`.mcpb`): Claude Desktop's one-click install of the compiled binary. One bundle
 * per release target holds `manifest.json` and the binary; the desktop app unpacks it, shows the
 * user the settings of {@linkcode USER_CONFIG}, and starts the binary with them as env vars.
 *
 * ```sh
 * deno run -A packaging/mcpb.ts manifest [--platform linux] [--repository owner/name]
 * deno run -A packaging/mcpb.ts pack --platform linux --binary dist/runpod-mcp-x86_64-unknown-linux-gnu \
 *   --out dist/runpod-mcp-x86_64-unknown-linux-gnu.mcpb [--repository owner/name]
 * deno run -A packaging/mcpb.ts check
 * ```
 *
 * - `manifest` prints the manifest. Its tools and prompts are what a client lists from the server
 *   itself, so the manifest cannot drift from the code.
 * - `pack` stages the manifest and the binary (executable) and packs them with the pinned mcpb CLI
 *   ({@linkcode MCPB_CLI}). Pack on Linux or macOS: the CLI keeps the executable bit only there.
 * - `check` (CI) validates the manifest with that CLI, packs a stand-in bundle whose entry runs the
 *   `deno bundle` output under the compile task's permission flags, unpacks it, and starts its
 *   entry the way a desktop host does: a real SDK client talks MCP to it over stdio.
 *
 * `--repository` (default: env `GITHUB_REPOSITORY`, which GitHub Actions sets) adds the repository,
 * homepage and support links.
 *
 * @module
 */

import { parseArgs } from "node:util";
import denoJson from "../deno.json" with { type: "json" };
import { InMemoryTransport } from "../src/deps.ts";
import { Client, createStdioClientTransport } from "../src/deps_client.ts";
import { loadConfig } from "../src/config.ts";
import { clientForConfig } from "../src/cli.ts";
import { createLogger } from "../src/log.ts";
import { ALL_PROMPTS } from "../src/prompts/mod.ts";
import { createServer } from "../src/server.ts";
import { DEFAULTS, type Setting, type SettingKey, SETTINGS } from "../src/settings.ts";
import { bundleArgs, compilePermissionFlags, ROOT, toolchainEnv } from "../tests/_spawn.ts";
import { runScript, UsageError } from "./_cli.ts";

/**
 * The mcpb CLI, pinned: its schemas decide which manifests validate. Run with `deno run --no-config
 * --no-lock`, so neither deno.lock nor tools/ records it.
 */
export const MCPB_CLI = "npm:@anthropic-ai/mcpb@2.1.2";

/**
 * The manifest version written. mcpb 2.1.2 validates 0.1 to 0.4; 0.2 is the one its own
 * `mcpb init` writes, so hosts built on older mcpb releases know it too. Nothing here needs 0.3
 * (icons, localization, `_meta`) or 0.4 (the `uv` server type).
 */
export const MANIFEST_VERSION = "0.2";

/** The platforms a bundle can be for, as Node's `process.platform` names them. */
export const PLATFORMS = ["darwin", "linux", "win32"] as const;

/** One of {@linkcode PLATFORMS}. */
export type Platform = typeof PLATFORMS[number];

/** The release targets (`deno compile --target`), each with the platform its bundle is for. */
export const TARGETS = {
  "x86_64-unknown-linux-gnu": "linux",
  "aarch64-unknown-linux-gnu": "linux",
  "x86_64-apple-darwin": "darwin",
  "aarch64-apple-darwin": "darwin",
  "x86_64-pc-windows-msvc": "win32",
} as const satisfies Record<string, Platform>;

/** One of the keys of {@linkcode TARGETS}. */
export type Target = keyof typeof TARGETS;

/** The bundle file a release attaches for a target. */
export function bundleFileName(target: Target): string {
  return `runpod-mcp-${target}.mcpb`;
}

/** A user_config option of the manifest, as the mcpb schema describes it. */
export interface UserConfigOption {
  type: "string" | "number" | "boolean";
  title: string;
  description: string;
  required?: boolean;
  default?: string | number | boolean;
  sensitive?: boolean;
  min?: number;
  max?: number;
}

/** What the bundle lets a user set: one row per setting, in the order the host shows them. */
export interface UserConfigRow {
  /** The user_config key, referred to as `${user_config.<key>}`. */
  key: string;
  /** The setting it feeds; its env var, type and default come from `src/settings.ts`. */
  setting: SettingKey;
  title: string;
  /** For a person in a settings dialog, not for `--help`. */
  description: string;
}

const CONFIRM_CHOICES: readonly string[] = SETTINGS.confirm.type.choices;

/** The settings a desktop user can set. Every other setting keeps its default. */
export const USER_CONFIG: readonly UserConfigRow[] = [
  {
    key: "api_key",
    setting: "apiKey",
    title: "RunPod API key",
    description:
      "Your key from the RunPod console (Settings → API Keys). No account yet? Leave it empty and turn on the sandbox.",
  },
  {
    key: "sandbox",
    setting: "sandbox",
    title: "Sandbox (no account needed)",
    description:
      "Use the built-in RunPod simulator instead of an account: realistic GPUs and prices, nothing is created or billed, no API key needed.",
  },
  {
    key: "read_only",
    setting: "readOnly",
    title: "Read-only",
    description: "Offer only the tools that read; every change to the account is refused.",
  },
  {
    key: "max_hourly_cost",
    setting: "maxHourlyCost",
    title: "Cap per pod or endpoint (USD/hour)",
    description:
      "Refuse to create or scale a pod, or an endpoint with every worker busy, that costs more per hour, e.g. 2.50. Empty: no cap.",
  },
  {
    key: "max_total_hourly_cost",
    setting: "maxTotalHourlyCost",
    title: "Cap for the whole account (USD/hour)",
    description:
      "Refuse a change that would make the account spend more per hour, what already runs included, e.g. 10. Empty: no cap.",
  },
  {
    key: "confirm",
    setting: "confirm",
    title: "Ask before",
    description: `Which calls you confirm in the chat before they run: ${
      CONFIRM_CHOICES.join(", ")
    }. Default ${DEFAULTS.confirm}.`,
  },
];

/**
 * The option for one row. Every option has a default the server accepts: a host passes an option
 * without a value as the literal text `${user_config.<key>}`. An empty value is the server's
 * "not set" (an empty env var counts as unset), so an optional number without a default of its
 * own (a cap) is a string that defaults to empty; the server checks the number.
 */
export function userConfigOption(row: UserConfigRow): UserConfigOption {
  const setting: Setting = SETTINGS[row.setting];
  const { title, description } = row;
  const type = setting.type;
  switch (type.kind) {
    case "secret":
      return { type: "string", title, description, required: false, sensitive: true, default: "" };
    case "boolean":
      return { type: "boolean", title, description, required: false, default: false };
    case "choice":
      return {
        type: "string",
        title,
        description,
        required: false,
        default: setting.default ?? "",
      };
    case "number":
      if (setting.default === undefined) {
        return { type: "string", title, description, required: false, default: "" };
      }
      return {
        type: "number",
        title,
        description,
        required: false,
        default: setting.default,
        min: type.min,
        ...(type.max !== undefined ? { max: type.max } : {}),
      };
    default:
      throw new Error(
        `Cannot offer ${setting.env} in the bundle: its kind ${type.kind} has no form`,
      );
  }
}

/** How a host starts the server: `mcp_config`, before the host substitutes its variables. */
export interface McpConfig {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** A prompt as the manifest declares it. */
export interface ManifestPrompt {
  name: string;
  description?: string;
  arguments?: string[];
  text: string;
}

/** The parts of a bundle manifest this project writes. */
export interface Manifest {
  manifest_version: string;
  name: string;
  display_name: string;
  version: string;
  description: string;
  long_description: string;
  author: { name: string };
  repository?: { type: string; url: string };
  homepage?: string;
  support?: string;
  license: string;
  keywords: string[];
  privacy_policies: string[];
  server: { type: "binary"; entry_point: string; mcp_config: McpConfig };
  tools: { name: string; description?: string }[];
  prompts: ManifestPrompt[];
  compatibility: { platforms: Platform[] };
  user_config: Record<string, UserConfigOption>;
}

/** The binary's path inside the bundle. */
export function entryPoint(platform: Platform): string {
  return platform === "win32" ? "server/runpod-mcp.exe" : "server/runpod-mcp";
}

/** Options for {@linkcode buildManifest}. */
export interface BuildManifestOptions {
  platform: Platform;
  /** `owner/name` on GitHub: adds the repository, homepage and support links. */
  repository?: string;
}

const DESCRIPTION =
  "Run a RunPod GPU cloud account from chat: price and launch GPUs, pods, serverless endpoints and jobs, with spend caps and confirmations.";

const LONG_DESCRIPTION = [
  "runpod-mcp lets Claude find and price GPUs, launch and watch pods, deploy serverless endpoints and run jobs on them, and see balance and spend, on your RunPod account.",
  "",
  "- **Safety first:** costs in USD per hour, confirmation before billable or destructive calls, optional read-only mode and spend caps, enforced by the server.",
  "- **Try it without an account:** turn on Sandbox to use the built-in simulator; nothing is created or billed.",
  "- **Sandboxed binary:** it may reach only RunPod's API hosts and read only its own settings.",
].join("\n");

/** The manifest's `mcp_config`: the binary, with every user setting passed as its env var. */
export function mcpConfig(platform: Platform): McpConfig {
  const env: Record<string, string> = {};
  for (const row of USER_CONFIG) env[SETTINGS[row.setting].env] = `\${user_config.${row.key}}`;
  // Settings go in env, never in args: a host keeps an empty value in args as the literal text.
  return { command: `\${__dirname}/${entryPoint(platform)}`, args: [], env };
}

/**
 * The manifest for one platform. Tools and prompts are listed by a real client from the server
 * itself (see {@linkcode listSurface}).
 */
export async function buildManifest(options: BuildManifestOptions): Promise<Manifest> {
  const { platform, repository } = options;
  const surface = await listSurface();
  const links = repository
    ? {
      repository: { type: "git", url: `https://github.com/${repository}.git` },
      homepage: `https://github.com/${repository}`,
      support: `https://github.com/${repository}/issues`,
    }
    : {};
  return {
    manifest_version: MANIFEST_VERSION,
    name: "runpod-mcp",
    display_name: "RunPod",
    version: denoJson.version,
    description: DESCRIPTION,
    long_description: LONG_DESCRIPTION,
    author: { name: "The runpod-mcp authors" },
    ...links,
    license: "MIT",
    keywords: ["runpod", "gpu", "cloud", "serverless", "machine learning"],
    privacy_policies: ["https://www.runpod.io/legal/privacy-policy"],
    server: { type: "binary", entry_point: entryPoint(platform), mcp_config: mcpConfig(platform) },
    tools: surface.tools,
    prompts: surface.prompts,
    compatibility: { platforms: [platform] },
    user_config: Object.fromEntries(USER_CONFIG.map((row) => [row.key, userConfigOption(row)])),
  };
}

/** What the server offers, as the manifest lists it. */
export interface Surface {
  tools: { name: string; description?: string }[];
  prompts: ManifestPrompt[];
}

/**
 * The tools and prompts a client lists from a server built as the binary builds it in live mode
 * (so descriptions carry no sandbox notes), connected in memory. Its RunPod client is the
 * in-process simulator, and listing never calls it. A prompt's text is its plan with no arguments
 * given: the server writes the real one from the arguments.
 */
export async function listSurface(): Promise<Surface> {
  const loaded = loadConfig({ sandbox: true }, {});
  if (!loaded.ok) throw new Error(`Cannot build the server: ${loaded.errors.join("; ")}`);
  const logger = createLogger({ level: "error", write: () => {} });
  const server = createServer(
    { runpod: await clientForConfig(loaded.config, logger), logger },
    { version: denoJson.version, sandbox: false },
  );
  const client = new Client({ name: "runpod-mcp-packaging", version: denoJson.version });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  try {
    await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
    const { tools } = await client.listTools();
    const { prompts } = await client.listPrompts();
    return {
      tools: tools.map(({ name, description }) => ({
        name,
        ...(description ? { description } : {}),
      })),
      prompts: prompts.map((prompt) => ({
        name: prompt.name,
        ...(prompt.description ? { description: prompt.description } : {}),
        ...(prompt.arguments?.length ? { arguments: prompt.arguments.map((a) => a.name) } : {}),
        text: promptText(prompt.name),
      })),
    };
  } finally {
    await client.close();
    await server.close();
  }
}

function promptText(name: string): string {
  const spec = ALL_PROMPTS.find((prompt) => prompt.name === name);
  if (!spec) throw new Error(`Cannot describe prompt ${name}: it is not in the prompt registry`);
  return spec.render({}, { offers: () => true, namesMissing: () => false, problems: [] });
}

/** A value a user gives a user_config option. */
export type UserValue = string | number | boolean | string[];

/** Options for {@linkcode hostLaunch}. */
export interface HostLaunchOptions {
  /** Where the host unpacked the bundle: `${__dirname}`. */
  dirname: string;
  /** What the user entered; options left out take their defaults. */
  userConfig?: Record<string, UserValue>;
  /** The user's home directory, for `${HOME}` and the folders under it. */
  home?: string;
  /** `/` or `\`. */
  pathSeparator?: string;
}

/**
 * The command, args and env a desktop host starts the server with, following the substitution
 * rules of the pinned mcpb package (`getMcpConfigForManifest`): defaults first, then the user's
 * values; booleans become `true`/`false`; `${__dirname}`, `${HOME}`, `${user_config.<key>}` and the
 * other variables are replaced. A variable without a value stays as literal text, and so does a
 * whole-arg `${user_config.<key>}` whose value is empty: the cases a manifest must never hit.
 * Throws when a required option has no value (the host would not start the server).
 */
export function hostLaunch(
  manifest: Pick<Manifest, "server" | "user_config">,
  options: HostLaunchOptions,
): McpConfig {
  const variables = hostVariables(manifest.user_config, options);
  const substitute = (text: string) =>
    text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      const value = variables[name];
      return typeof value === "string" ? value : whole;
    });
  const { command, args, env } = manifest.server.mcp_config;
  return {
    command: substitute(command),
    args: args.flatMap((arg) => {
      const whole = /^\$\{(user_config\.[^}]+)\}$/.exec(arg);
      if (!whole) return [substitute(arg)];
      const value = variables[whole[1]!];
      if (Array.isArray(value)) return value;
      return value ? [value] : [arg];
    }),
    env: Object.fromEntries(Object.entries(env).map(([name, value]) => [name, substitute(value)])),
  };
}

function hostVariables(
  options: Record<string, UserConfigOption>,
  launch: HostLaunchOptions,
): Record<string, string | string[]> {
  const home = launch.home ?? "/home/user";
  const sep = launch.pathSeparator ?? "/";
  const variables: Record<string, string | string[]> = {
    __dirname: launch.dirname,
    HOME: home,
    DESKTOP: `${home}${sep}Desktop`,
    DOCUMENTS: `${home}${sep}Documents`,
    DOWNLOADS: `${home}${sep}Downloads`,
    pathSeparator: sep,
    "/": sep,
  };
  const given = launch.userConfig ?? {};
  // As the mcpb package does, a required option needs a value from the user: a default is not one.
  for (const [key, option] of Object.entries(options)) {
    const value = given[key];
    const empty = value === undefined || value === "" ||
      (Array.isArray(value) && (value.length === 0 || value.includes("")));
    if (option.required && empty) {
      throw new Error(`Cannot start the server: the required option ${key} has no value`);
    }
  }
  const merged: Record<string, UserValue> = {};
  for (const [key, option] of Object.entries(options)) {
    if (option.default !== undefined) merged[key] = option.default;
  }
  Object.assign(merged, given);
  for (const [key, value] of Object.entries(merged)) {
    // Booleans become "true" or "false", numbers their decimal text.
    variables[`user_config.${key}`] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return variables;
}

/** Runs the pinned mcpb CLI in `cwd` and fails with its output unless it succeeds. */
export async function runMcpb(args: string[], cwd: string): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-config", "--no-lock", "-A", MCPB_CLI, ...args],
    cwd,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  const stdout = decoder.decode(output.stdout);
  if (output.code !== 0) {
    const said = `${stdout}${decoder.decode(output.stderr)}`.trim();
    throw new Error(`Cannot run mcpb ${args[0]}: it exited with ${output.code}\n${said}`);
  }
  return stdout;
}

/** Writes the manifest into `dir` and checks it with `mcpb validate`. */
async function stageManifest(dir: string, manifest: Manifest): Promise<void> {
  await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(manifest, null, 2) + "\n");
  await runMcpb(["validate", `${dir}/manifest.json`], dir);
}

/** Options for {@linkcode pack}. */
export interface PackOptions {
  platform: Platform;
  /** The compiled binary for that platform. */
  binary: string;
  /** The `.mcpb` file to write. */
  out: string;
  repository?: string;
  /** Files copied into `server/` beside the binary (the stand-in's script, in `check`). */
  alongside?: string[];
}

/**
 * Builds one bundle: the manifest and the binary, packed by the pinned mcpb CLI. Returns the
 * manifest it packed.
 */
export async function pack(options: PackOptions): Promise<Manifest> {
  const { platform } = options;
  const binary = await Deno.stat(options.binary).catch(() => undefined);
  if (!binary?.isFile) throw new Error(`Cannot pack: no binary at ${options.binary}`);
  if (Deno.build.os === "windows" && platform !== "win32") {
    throw new Error(
      "Cannot pack a macOS or Linux bundle on Windows: the mcpb CLI drops the executable bit there",
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "runpod-mcp-mcpb-" });
  try {
    const manifest = await buildManifest({
      platform,
      ...(options.repository ? { repository: options.repository } : {}),
    });
    await stageManifest(dir, manifest);
    const entry = `${dir}/${manifest.server.entry_point}`;
    await Deno.mkdir(`${dir}/server`);
    await Deno.copyFile(options.binary, entry);
    if (Deno.build.os !== "windows") await Deno.chmod(entry, 0o755);
    for (const file of options.alongside ?? []) {
      await Deno.copyFile(file, `${dir}/server/${basename(file)}`);
    }
    const out = absolute(options.out);
    await Deno.mkdir(dirname(out), { recursive: true });
    await runMcpb(["pack", dir, out], dir);
    return manifest;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function absolute(path: string): string {
  return path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path) ? path : `${Deno.cwd()}/${path}`;
}

function basename(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

function dirname(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return cut > 0 ? path.slice(0, cut) : ".";
}

/** The platform this machine is. */
export function hostPlatform(): Platform {
  const os = Deno.build.os;
  if (os === "windows") return "win32";
  if (os === "darwin" || os === "linux") return os;
  throw new Error(`Cannot build a bundle on ${os}: bundles are for ${PLATFORMS.join(", ")}`);
}

/** Sizes and answers from one {@linkcode check} run. */
export interface CheckReport {
  bundleBytes: number;
  payloadBytes: number;
  serverVersion: string;
  toolCount: number;
  promptCount: number;
  gpuTypeCount: number;
  /** The first line the server printed when started with every option at its default. */
  noKeyError: string;
}

/** A timeout for each step that talks to the started server. */
const STEP_MS = 120_000;

/**
 * The CI check: pack a stand-in bundle with {@linkcode pack}, as a release packs the binary (the
 * manifest validated first), unpack it with the mcpb CLI and start its entry as a host does. The
 * stand-in's entry is a shell launcher (the compiled binary cannot be built here), so the check
 * runs on Linux and macOS only.
 */
export async function check(): Promise<CheckReport> {
  const platform = hostPlatform();
  if (platform === "win32") throw new Error("Cannot run the check on Windows: the entry is sh");
  const dir = await Deno.makeTempDir({ prefix: "runpod-mcp-mcpb-check-" });
  try {
    const standIn = await makeStandIn(`${dir}/stand-in`);
    const bundle = `${dir}/runpod-mcp.mcpb`;
    const manifest = await pack({ platform, ...standIn, out: bundle });
    const unpacked = `${dir}/unpacked`;
    await runMcpb(["unpack", bundle, unpacked], dir);
    const entry = await Deno.stat(`${unpacked}/${manifest.server.entry_point}`);
    if (((entry.mode ?? 0) & 0o111) === 0) {
      throw new Error("Cannot start the unpacked entry: the bundle lost its executable bit");
    }
    const talked = await talkToBundle(manifest, unpacked);
    return {
      bundleBytes: (await Deno.stat(bundle)).size,
      payloadBytes: await treeBytes(unpacked),
      ...talked,
      noKeyError: await startWithoutKey(manifest, unpacked),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The stand-in for the compiled binary, made in `dir`: the `deno bundle` output, and a launcher
 * that runs it (from beside itself) as the binary would run.
 */
async function makeStandIn(dir: string): Promise<{ binary: string; alongside: string[] }> {
  await Deno.mkdir(dir);
  const script = `${dir}/runpod-mcp.js`;
  const bundled = await new Deno.Command(Deno.execPath(), {
    args: await bundleArgs(script),
    cwd: ROOT,
    stdin: "null",
  }).output();
  if (bundled.code !== 0) {
    throw new Error(`Cannot bundle the server: ${new TextDecoder().decode(bundled.stderr)}`);
  }
  const flags = await compilePermissionFlags();
  const words = [Deno.execPath(), "run", "--no-config", "--no-lock", ...flags].map(shellQuote);
  const launcher = [
    "#!/bin/sh",
    "# Stand-in for the compiled binary: the bundled server under the compile task's flags.",
    `exec ${words.join(" ")} "$(dirname "$0")/runpod-mcp.js" "$@"`,
    "",
  ].join("\n");
  await Deno.writeTextFile(`${dir}/launcher`, launcher);
  return { binary: `${dir}/launcher`, alongside: [script] };
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    total += entry.isDirectory ? await treeBytes(path) : (await Deno.stat(path)).size;
  }
  return total;
}

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Cannot ${what}: no answer in ${STEP_MS / 1000} s`)),
      STEP_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A desktop user without an account: the key left empty, Sandbox turned on. */
const SANDBOX_USER: Record<string, UserValue> = { sandbox: true };

/** Starts the unpacked entry as a host would, for a sandbox user, and talks MCP to it. */
async function talkToBundle(
  manifest: Manifest,
  unpacked: string,
): Promise<Pick<CheckReport, "serverVersion" | "toolCount" | "promptCount" | "gpuTypeCount">> {
  const launch = hostLaunch(manifest, { dirname: unpacked, userConfig: SANDBOX_USER });
  const transport = await createStdioClientTransport({
    command: launch.command,
    args: launch.args,
    env: { ...toolchainEnv(), ...launch.env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array | string) => {
    stderr += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
  });
  const client = new Client({ name: "runpod-mcp-mcpb-check", version: denoJson.version });
  try {
    await within(client.connect(transport), "initialize the bundled server");
    const { tools } = await within(client.listTools(), "list the bundled server's tools");
    sameNames("tools", tools, manifest.tools);
    const { prompts } = await within(client.listPrompts(), "list the bundled server's prompts");
    sameNames("prompts", prompts, manifest.prompts);
    const result = await within(
      client.callTool({ name: "list_gpu_types", arguments: {} }),
      "call list_gpu_types",
    );
    const count = (result.structuredContent as { count?: number } | undefined)?.count;
    if (result.isError || typeof count !== "number") {
      throw new Error(`Cannot call list_gpu_types: ${JSON.stringify(result.content)}`);
    }
    return {
      serverVersion: client.getServerVersion()?.version ?? "unknown",
      toolCount: tools.length,
      promptCount: prompts.length,
      gpuTypeCount: count,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\nThe server's stderr:\n${stderr}`);
  } finally {
    await client.close();
  }
}

function sameNames(
  what: string,
  listed: readonly { name: string }[],
  declared: readonly { name: string }[],
): void {
  const got = listed.map((item) => item.name).join(", ");
  const want = declared.map((item) => item.name).join(", ");
  if (got !== want) {
    throw new Error(
      `Cannot trust the manifest: the server lists ${what} ${got}; it declares ${want}`,
    );
  }
}

/**
 * Starts the unpacked entry with every option at its default (no key, Sandbox off): the server
 * must refuse with its usage error (exit 2) and say what to set.
 */
async function startWithoutKey(manifest: Manifest, unpacked: string): Promise<string> {
  const launch = hostLaunch(manifest, { dirname: unpacked });
  const output = await new Deno.Command(launch.command, {
    args: launch.args,
    env: { ...toolchainEnv(), ...launch.env },
    clearEnv: true,
    stdin: "null",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  const first = stderr.split("\n").find((line) => line.startsWith("runpod-mcp:")) ?? "";
  if (output.code !== 2 || !first.includes(SETTINGS.apiKey.env)) {
    throw new Error(
      `Cannot trust the defaults: without a key the server exited ${output.code}, not 2 with a missing-key error:\n${stderr}`,
    );
  }
  return first;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB (${bytes} bytes)`;
}

/** The lines `check` prints. */
export function formatReport(report: CheckReport): string[] {
  return [
    `mcpb check: ${MCPB_CLI.slice(4)} validated and packed manifest ${MANIFEST_VERSION}`,
    `mcpb check: bundle ${megabytes(report.bundleBytes)}; unpacked payload ${
      megabytes(report.payloadBytes)
    } (stand-in entry: deno bundle output and a launcher, not the compiled binary)`,
    `mcpb check: the unpacked entry, started as a host does for a sandbox user, answered initialize (runpod-mcp ${report.serverVersion}), tools/list (${report.toolCount} tools, as declared), prompts/list (${report.promptCount} prompts, as declared) and list_gpu_types (${report.gpuTypeCount} GPU types)`,
    `mcpb check: with every option at its default it exits 2: ${report.noKeyError}`,
  ];
}

function parsePlatform(value: string | undefined): Platform {
  if (value === undefined) return hostPlatform();
  if ((PLATFORMS as readonly string[]).includes(value)) return value as Platform;
  throw new UsageError(`Cannot use --platform ${value}: use one of ${PLATFORMS.join(", ")}`);
}

const USAGE = `Usage:
  deno run -A packaging/mcpb.ts manifest [--platform P] [--repository owner/name]
  deno run -A packaging/mcpb.ts pack --platform P --binary FILE --out FILE.mcpb [--repository owner/name]
  deno run -A packaging/mcpb.ts check
P is one of ${PLATFORMS.join(", ")}; --repository defaults to env GITHUB_REPOSITORY.`;

async function runCli(args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      platform: { type: "string" },
      binary: { type: "string" },
      out: { type: "string" },
      repository: { type: "string" },
    },
  });
  const repository = values.repository ?? Deno.env.get("GITHUB_REPOSITORY");
  const [command, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`Cannot take argument ${rest[0]}`);
  if (command === "manifest") {
    const platform = parsePlatform(values.platform);
    const manifest = await buildManifest({ platform, ...(repository ? { repository } : {}) });
    console.log(JSON.stringify(manifest, null, 2));
  } else if (command === "pack") {
    if (!values.platform || !values.binary || !values.out) {
      throw new UsageError("Cannot pack: give --platform, --binary and --out");
    }
    const platform = parsePlatform(values.platform);
    await pack({
      platform,
      binary: values.binary,
      out: values.out,
      ...(repository ? { repository } : {}),
    });
    console.log(`mcpb: packed ${values.out} for ${platform}`);
  } else if (command === "check") {
    for (const line of formatReport(await check())) console.log(line);
  } else {
    throw new UsageError(`Cannot run ${command ? `command ${command}` : "without a command"}`);
  }
}

if (import.meta.main) await runScript(() => runCli(Deno.args), USAGE);
