/**
 * `runpod-mcp config <client>`: a ready-to-paste configuration for an MCP client on stdout, and
 * one line on stderr saying where it goes. One table lists the clients ({@linkcode CLIENTS}) and
 * one the subcommand's options; the parser, the usage text and the errors come from them.
 *
 * The API key is never written in clear text unless asked for (`--inline-key`): each client gets
 * its own way to refer to it, or a placeholder where it has none.
 *
 * Pure: the caller passes the environment and the OS, and prints the result.
 *
 * @module
 */

import { parseArgs } from "node:util";
import denoJson from "../deno.json" with { type: "json" };
import { ALLOW_ENV, BINARY_LISTEN_ADDRESSES, SETTINGS } from "./settings.ts";
import { closestArgument } from "./tools/_call.ts";

/**
 * The flags the compiled binary runs with, for `deno run` to run the same way: its permissions,
 * and a young generation of at most 4 MB per semi-space. V8's default lets it grow to 16 MB, which
 * a stdio server's RSS kept after 200 calls (114 MB; 97 MB with this, and no loss of HTTP
 * throughput measured by bench/http_load.ts; 1 MB saved more memory but cost a third of it). The
 * binary cannot read deno.json at run time, so they live here; a test keeps them equal to the
 * `compile` task's. The listen addresses let `--http` work, as in the binary.
 */
export const BINARY_PERMISSION_FLAGS: readonly string[] = [
  "--no-prompt",
  "--v8-flags=--max-semi-space-size=4",
  `--allow-net=${["api.runpod.io", "api.runpod.ai", ...BINARY_LISTEN_ADDRESSES].join(",")}`,
  `--allow-env=${ALLOW_ENV.join(",")}`,
];

/**
 * The JSR package `--via deno` runs, pinned to this version: its permission flags are the ones
 * this version needs.
 */
export const JSR_SPECIFIER = `jsr:${denoJson.name}@${denoJson.version}`;

/** The container image `--via docker` runs. */
export const DOCKER_IMAGE = "ghcr.io/runpod-mcp/runpod-mcp";

/** What a config holds for the key when the client has no way to refer to it. */
export const KEY_PLACEHOLDER = "rpa_your_key";

const KEY_ENV = SETTINGS.apiKey.env;
const SANDBOX_FLAG = SETTINGS.sandbox.flag;

/** How the client starts the server. */
export const VIAS = ["binary", "deno", "docker"] as const;

/** One of {@linkcode VIAS}. */
export type Via = typeof VIAS[number];

/** The operating system the config is for: it decides file paths. */
export type Os = typeof Deno.build.os;

/** A command, its arguments and the env it gets: what every client config describes. */
export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** How a client's configuration is written. */
type Format = "mcp-servers-json" | "vscode-json" | "claude-code-shell";

/** One row of {@linkcode CLIENTS}. */
interface ClientRow {
  title: string;
  format: Format;
  /** Where the output goes, for the usage text. */
  summary: string;
  /** Where the output goes on `os`, for the stderr line. */
  where: (os: Os) => string;
  /** What the config holds for the key by default. */
  keyRef: string;
  /** What the user needs to know about `keyRef`. */
  keyNote: string;
}

const home = (os: Os, path: string) =>
  os === "windows" ? `%USERPROFILE%\\${path.replaceAll("/", "\\")}` : `~/${path}`;

const CLAUDE_DESKTOP_FILES = {
  mac: "~/Library/Application Support/Claude/claude_desktop_config.json",
  windows: "%APPDATA%\\Claude\\claude_desktop_config.json",
};

const VSCODE_INPUT_ID = "runpod-api-key";

/** Every client `runpod-mcp config` knows, by the name given on the command line. */
const CLIENTS = {
  "claude-desktop": {
    title: "Claude Desktop",
    format: "mcp-servers-json",
    summary: "claude_desktop_config.json",
    where: (os) =>
      os === "darwin"
        ? CLAUDE_DESKTOP_FILES.mac
        : os === "windows"
        ? CLAUDE_DESKTOP_FILES.windows
        : `claude_desktop_config.json (macOS: ${CLAUDE_DESKTOP_FILES.mac}; Windows: ${CLAUDE_DESKTOP_FILES.windows})`,
    keyRef: KEY_PLACEHOLDER,
    keyNote:
      `replace ${KEY_PLACEHOLDER} with your API key: Claude Desktop documents no expansion of environment variables in this file`,
  },
  "claude-code": {
    title: "Claude Code",
    format: "claude-code-shell",
    summary: "a `claude mcp add` command, for all your projects",
    where: () => "run this command in a shell (--scope user: every project)",
    keyRef: `"$${KEY_ENV}"`,
    keyNote:
      `set ${KEY_ENV} in that shell first: the shell fills it in, and Claude Code keeps the value in ~/.claude.json`,
  },
  cursor: {
    title: "Cursor",
    format: "mcp-servers-json",
    summary: "~/.cursor/mcp.json",
    where: (os) => `${home(os, ".cursor/mcp.json")} (or .cursor/mcp.json in a project)`,
    keyRef: `\${env:${KEY_ENV}}`,
    keyNote: `Cursor fills in \${env:${KEY_ENV}} from the environment it was started in`,
  },
  vscode: {
    title: "VS Code",
    format: "vscode-json",
    summary: ".vscode/mcp.json",
    where: () => ".vscode/mcp.json in your workspace",
    keyRef: `\${input:${VSCODE_INPUT_ID}}`,
    keyNote: "VS Code asks for the key when the server first starts, and stores it",
  },
  windsurf: {
    title: "Windsurf",
    format: "mcp-servers-json",
    summary: "~/.codeium/windsurf/mcp_config.json",
    where: (os) => home(os, ".codeium/windsurf/mcp_config.json"),
    keyRef: `\${env:${KEY_ENV}}`,
    keyNote: `Windsurf fills in \${env:${KEY_ENV}} from the environment it was started in`,
  },
} as const satisfies Record<string, ClientRow>;

/** A client `runpod-mcp config` knows, as named on the command line. */
export type ClientId = keyof typeof CLIENTS;

/** The client names, in table order. */
export const CLIENT_IDS = Object.keys(CLIENTS) as ClientId[];

/** What to print for one client. */
interface ClientConfigOptions {
  client: ClientId;
  via: Via;
  sandbox: boolean;
  /** The server's name in the client's configuration. */
  name: string;
  /** The key to write in clear text (`--inline-key`); absent, the client's reference is used. */
  inlineKey?: string;
  os: Os;
}

/** The command, arguments and env of one way to start the server; `key` is what env holds. */
function launchFor(via: Via, sandbox: boolean, key: string): Launch {
  const extra = sandbox ? [SANDBOX_FLAG] : [];
  const env: Record<string, string> = sandbox ? {} : { [KEY_ENV]: key };
  switch (via) {
    case "binary":
      return { command: "runpod-mcp", args: extra, env };
    case "deno":
      return {
        command: "deno",
        args: ["run", ...BINARY_PERMISSION_FLAGS, JSR_SPECIFIER, ...extra],
        env,
      };
    case "docker": {
      // `-e NAME` with no value: docker passes the variable on from its own env, by name.
      const pass = sandbox ? [] : ["-e", KEY_ENV];
      return {
        command: "docker",
        args: ["run", "-i", "--rm", ...pass, DOCKER_IMAGE, ...extra],
        env,
      };
    }
  }
}

function serverEntry(launch: Launch): Record<string, unknown> {
  return {
    command: launch.command,
    args: launch.args,
    ...(Object.keys(launch.env).length > 0 ? { env: launch.env } : {}),
  };
}

function vscodeConfig(name: string, launch: Launch, prompt: boolean): Record<string, unknown> {
  const input = {
    type: "promptString",
    id: VSCODE_INPUT_ID,
    description: "RunPod API key",
    password: true,
  };
  return {
    ...(prompt ? { inputs: [input] } : {}),
    servers: { [name]: { type: "stdio", ...serverEntry(launch) } },
  };
}

/** A word as a POSIX shell reads it back unchanged. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function claudeCodeCommand(name: string, launch: Launch, inlineKey?: string): string {
  const env = Object.keys(launch.env).length === 0 ? [] : [
    "--env",
    // The reference is double-quoted for the shell to expand; a literal key is quoted as a word.
    inlineKey === undefined
      ? `${KEY_ENV}=${CLIENTS["claude-code"].keyRef}`
      : shellQuote(`${KEY_ENV}=${inlineKey}`),
  ];
  // Options go before the name, as `claude mcp add` documents.
  const words = ["--scope", "user", name, "--", launch.command, ...launch.args].map(shellQuote);
  return ["claude", "mcp", "add", ...env, ...words].join(" ");
}

/** The text to paste for one client: JSON, or a shell command for Claude Code. */
function renderClientConfig(options: ClientConfigOptions): string {
  const row: ClientRow = CLIENTS[options.client];
  const launch = launchFor(options.via, options.sandbox, options.inlineKey ?? row.keyRef);
  switch (row.format) {
    case "mcp-servers-json":
      return JSON.stringify({ mcpServers: { [options.name]: serverEntry(launch) } }, null, 2) +
        "\n";
    case "vscode-json": {
      const prompt = !options.sandbox && options.inlineKey === undefined;
      return JSON.stringify(vscodeConfig(options.name, launch, prompt), null, 2) + "\n";
    }
    case "claude-code-shell":
      return claudeCodeCommand(options.name, launch, options.inlineKey) + "\n";
  }
}

/** The one line for stderr: where the output goes, and what to know about the key. */
function placementNote(options: ClientConfigOptions): string {
  const row: ClientRow = CLIENTS[options.client];
  const where = row.format === "claude-code-shell"
    ? `${row.title}: ${row.where(options.os)}`
    : `${row.title}: add to ${row.where(options.os)}, next to any servers already there`;
  const key = options.sandbox
    ? "sandbox mode: simulated RunPod, no key, no real money"
    : options.inlineKey === undefined
    ? row.keyNote
    : row.format === "claude-code-shell"
    ? "WARNING: this command holds your API key in clear text, and so will your shell history and ~/.claude.json"
    : "WARNING: that file will then hold your API key in clear text; keep it private";
  return `${where}; ${key}\n`;
}

/** The options of `runpod-mcp config`, for the parser and the usage text. */
const OPTIONS = {
  via: {
    type: "string",
    arg: "WAY",
    help: `How the client starts the server: ${VIAS.join(", ")}; default binary`,
  },
  sandbox: {
    type: "boolean",
    help: "Start it against the built-in simulator: no account, no key, no real money",
  },
  "inline-key": {
    type: "boolean",
    help: `Write env ${KEY_ENV}'s value into the config, which then holds a secret`,
  },
  name: { type: "string", arg: "NAME", help: "The server's name in the client; default runpod" },
  help: { type: "boolean", help: "Print this help and exit" },
} as const satisfies Record<string, { type: "string" | "boolean"; arg?: string; help: string }>;

const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The usage text of `runpod-mcp config`, with every client and option. */
function configUsage(): string {
  const column = 20;
  const clients = CLIENT_IDS.map((id) =>
    `  ${id.padEnd(column - 2)}${CLIENTS[id].title} (${CLIENTS[id].summary})`
  );
  const options = Object.entries(OPTIONS).map(([flag, o]) =>
    `  ${`--${flag}${"arg" in o ? ` ${o.arg}` : ""}`.padEnd(column - 2)}${o.help}`
  );
  return [
    `Usage: runpod-mcp config <client> [--via ${
      VIAS.join("|")
    }] [--sandbox] [--inline-key] [--name NAME]`,
    "",
    "Prints a configuration for an MCP client on stdout, and where it goes on stderr.",
    "",
    "Clients:",
    ...clients,
    "",
    "Options:",
    ...options,
    "",
  ].join("\n");
}

/** What `runpod-mcp config …` prints, or why it cannot. */
export type ConfigCommandResult =
  | { kind: "output"; stdout: string; stderr: string }
  | { kind: "usage-error"; errors: string[] };

function didYouMean(unknown: string, known: readonly string[]): string {
  const guess = closestArgument(unknown, known);
  return guess ? ` (did you mean ${guess}?)` : "";
}

function parseError(error: unknown): string {
  const message = error instanceof Error ? error.message.replace(/\. To specify.*$/s, "") : "";
  const unknown = /Unknown option '(-[^']*)'/.exec(message)?.[1];
  const flags = Object.keys(OPTIONS).map((flag) => `--${flag}`);
  return unknown
    ? `Cannot parse arguments: unknown option ${unknown}${
      didYouMean(unknown, flags)
    }; the options are ${flags.join(", ")}`
    : `Cannot parse arguments: ${message}`;
}

/** Why the positional arguments do not name one known client, or "" when they do. */
function clientError(positionals: readonly string[]): string {
  const choose = `choose one of ${CLIENT_IDS.join(", ")}`;
  if (positionals.length > 1) {
    return `Cannot configure more than one client at a time: got ${
      positionals.join(", ")
    }; ${choose}`;
  }
  const client = positionals[0] ?? "";
  if (isClientId(client)) return "";
  return `Cannot configure unknown client ${client}${didYouMean(client, CLIENT_IDS)}: ${choose}`;
}

/** Whether `name` is a key of {@linkcode CLIENTS} (an own key: `toString` is no client). */
function isClientId(name: string): name is ClientId {
  return Object.hasOwn(CLIENTS, name);
}

/** Errors in the option values; "" for each one that is fine. */
function valueErrors(
  via: string,
  name: string,
  sandbox: boolean,
  inline: boolean,
  key: string | undefined,
): string[] {
  return [
    (VIAS as readonly string[]).includes(via)
      ? ""
      : `Cannot start the server --via ${via}${didYouMean(via, VIAS)}: choose one of ${
        VIAS.join(", ")
      }`,
    NAME_PATTERN.test(name)
      ? ""
      : `Cannot use --name ${JSON.stringify(name)}: use 1 to 64 letters, digits, - or _`,
    inline && sandbox
      ? "Cannot combine --inline-key with --sandbox: sandbox mode needs no key"
      : "",
    inline && !sandbox && !key ? `Cannot write the key inline: env ${KEY_ENV} is not set` : "",
  ];
}

/**
 * Runs `runpod-mcp config` with the arguments after `config`: the config and its note, the usage
 * text when no client is named, or usage errors. `env` supplies the key for `--inline-key`.
 *
 * @example
 * ```ts
 * const result = configCommand(["cursor", "--sandbox"], {}, "linux");
 * // { kind: "output", stdout: '{\n  "mcpServers": …', stderr: "Cursor: add to ~/.cursor/mcp.json …" }
 * ```
 */
export function configCommand(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  os: Os,
): ConfigCommandResult {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], strict: true, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    return { kind: "usage-error", errors: [parseError(error)] };
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    return { kind: "output", stdout: configUsage(), stderr: "" };
  }
  const client = positionals[0] ?? "";
  const via = values.via ?? "binary";
  const name = values.name ?? "runpod";
  const key = values["inline-key"] ? env[KEY_ENV] : undefined;
  const errors = [
    clientError(positionals),
    ...valueErrors(via, name, values.sandbox ?? false, values["inline-key"] ?? false, key),
  ].filter(Boolean);
  if (errors.length > 0) return { kind: "usage-error", errors };
  const options: ClientConfigOptions = {
    client: client as ClientId,
    via: via as Via,
    sandbox: values.sandbox ?? false,
    name,
    ...(key ? { inlineKey: key } : {}),
    os,
  };
  return { kind: "output", stdout: renderClientConfig(options), stderr: placementNote(options) };
}
