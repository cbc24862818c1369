import assert from "node:assert/strict";
import { parseCli } from "../src/cli.ts";
import {
  BINARY_PERMISSION_FLAGS,
  CLIENT_IDS,
  type ClientId,
  configCommand,
  DOCKER_IMAGE,
  JSR_SPECIFIER,
  KEY_PLACEHOLDER,
  type Launch,
  type Os,
  type Via,
  VIAS,
} from "../src/client_config.ts";
import { compilePermissionFlags, ROOT, run, spawnServer } from "./_spawn.ts";

/** Looks like a key and must never be printed unless asked for. */
const FAKE_KEY = "rpa_CLIENTCONFIGFAKEKEY0123456789";

/** What a shell would put in place of `$RUNPOD_API_KEY`, so the expansion is visible. */
const SHELL_KEY = "value-from-the-shell";

/** What each client's config holds for the key by default. */
const KEY_REFS: Record<ClientId, string> = {
  "claude-desktop": KEY_PLACEHOLDER,
  "claude-code": SHELL_KEY,
  cursor: "${env:RUNPOD_API_KEY}",
  vscode: "${input:runpod-api-key}",
  windsurf: "${env:RUNPOD_API_KEY}",
};

/**
 * Splits one POSIX shell line into words as `sh` would: single quotes, double quotes with `$NAME`
 * expansion from `env`, backslash escapes and bare words. Refuses anything else a shell would
 * treat specially (unquoted globs, pipes, `~`), so the printed line cannot depend on them.
 */
function shellWords(line: string, env: Record<string, string>): string[] {
  const expand = (text: string) =>
    text.replace(/\$(\w+)|\$\{(\w+)\}/g, (_, a, b) => env[a ?? b] ?? "");
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length;) {
    const c = line[i]!;
    if (c === " ") {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      assert.ok(end > i, `unclosed ${c} in ${line}`);
      const text = line.slice(i + 1, end);
      assert.ok(c === "'" || !/[\\`"]/.test(text), `escapes inside "…" in ${line}`);
      word = (word ?? "") + (c === "'" ? text : expand(text));
      i = end + 1;
    } else if (c === "\\") {
      word = (word ?? "") + line[i + 1];
      i += 2;
    } else {
      const bare = /^[^\s'"\\]+/.exec(line.slice(i))![0];
      assert.ok(!/[*?[\];&|<>()`~{}#]/.test(bare), `special characters in ${bare}`);
      word = (word ?? "") + expand(bare);
      i += bare.length;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

Deno.test("shellWords() reads quotes, expansion and joined pieces as sh does", () => {
  assert.deepEqual(shellWords(`a 'b c' K="$X" 'it'\\''s'`, { X: "x y" }), [
    "a",
    "b c",
    "K=x y",
    "it's",
  ]);
  assert.throws(() => shellWords("--allow-env=RUNPOD_*", {}), /special/);
});

/** The `claude mcp add` line's parts: options before the name, then `--` and the command. */
function claudeCodeLaunch(line: string, name: string): Launch & { scope?: string } {
  assert.ok(line.endsWith("\n") && !line.slice(0, -1).includes("\n"), "one line");
  const words = shellWords(line.trimEnd(), { RUNPOD_API_KEY: SHELL_KEY });
  assert.deepEqual(words.slice(0, 3), ["claude", "mcp", "add"]);
  const env: Record<string, string> = {};
  let scope: string | undefined;
  let i = 3;
  for (; words[i]?.startsWith("-") && words[i] !== "--"; i += 2) {
    const value = words[i + 1] ?? "";
    if (words[i] === "--env") {
      const at = value.indexOf("=");
      env[value.slice(0, at)] = value.slice(at + 1);
    } else if (words[i] === "--scope") scope = value;
    else assert.fail(`unexpected option ${words[i]}`);
  }
  assert.equal(words[i], name);
  assert.equal(words[i + 1], "--");
  const [command = "", ...args] = words.slice(i + 2);
  return { command, args, env, ...(scope ? { scope } : {}) };
}

/** The launch a printed config describes, checked against its client's format. */
function launchOf(client: ClientId, stdout: string, name = "runpod"): Launch {
  if (client === "claude-code") {
    const { scope, ...launch } = claudeCodeLaunch(stdout, name);
    assert.equal(scope, "user");
    return launch;
  }
  const config = JSON.parse(stdout);
  const servers = client === "vscode" ? config.servers : config.mcpServers;
  assert.deepEqual(Object.keys(servers), [name]);
  const { type, command, args, env = {}, ...rest } = servers[name];
  assert.deepEqual(rest, {});
  assert.equal(type, client === "vscode" ? "stdio" : undefined);
  return { command, args, env };
}

function expectedArgs(via: Via, sandbox: boolean): { command: string; args: string[] } {
  const extra = sandbox ? ["--sandbox"] : [];
  switch (via) {
    case "binary":
      return { command: "runpod-mcp", args: extra };
    case "deno":
      return {
        command: "deno",
        args: ["run", ...BINARY_PERMISSION_FLAGS, JSR_SPECIFIER, ...extra],
      };
    case "docker": {
      const pass = sandbox ? [] : ["-e", "RUNPOD_API_KEY"];
      return { command: "docker", args: ["run", "-i", "--rm", ...pass, DOCKER_IMAGE, ...extra] };
    }
  }
}

/** What a `config` run printed and how it exited. */
interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

interface Case {
  client: ClientId;
  via: Via;
  sandbox: boolean;
}

interface CaseOutput extends Case {
  /** True when the output came from a separate `deno run main.ts` process. */
  cli: boolean;
  result: Output;
}

const argsOf = (c: Case) => [c.client, "--via", c.via, ...(c.sandbox ? ["--sandbox"] : [])];

/** `parseCli` on `config …`: what `main` prints, without a process. */
function inProcess(args: string[], env: Record<string, string> = {}): Output {
  const request = parseCli(["config", ...args], env);
  if (request.kind === "config") return { code: 0, stdout: request.stdout, stderr: request.stderr };
  assert.equal(request.kind, "usage-error");
  const errors = request.kind === "usage-error" ? request.errors : [];
  return { code: 2, stdout: "", stderr: errors.join("\n") + "\n" };
}

/** `main.ts config …` in its own process, with the binary's permissions. */
async function viaCli(args: string[], env: Record<string, string> = {}): Promise<Output> {
  const flags = await compilePermissionFlags();
  return await run(["run", ...flags, "main.ts", "config", ...args], { env });
}

/**
 * Cases run through the real CLI: every client, and every way with and without --sandbox, among
 * them both shapes of `--via deno`. The rest of the matrix runs in process, through the same
 * `parseCli` that `main` calls, to keep the suite fast.
 */
const CLI_CASES: Case[] = [
  { client: "claude-desktop", via: "binary", sandbox: false },
  { client: "claude-code", via: "deno", sandbox: false },
  { client: "cursor", via: "docker", sandbox: false },
  { client: "vscode", via: "deno", sandbox: true },
  { client: "windsurf", via: "docker", sandbox: true },
  { client: "cursor", via: "binary", sandbox: true },
];

/** Every client × way × sandbox, with RUNPOD_API_KEY set to a fake key in the env. */
async function runMatrix(): Promise<CaseOutput[]> {
  const env = { RUNPOD_API_KEY: FAKE_KEY };
  const all = CLIENT_IDS.flatMap((client) =>
    VIAS.flatMap((via) => [false, true].map((sandbox) => ({ client, via, sandbox })))
  );
  const cli = await Promise.all(CLI_CASES.map(async (c) => ({
    ...c,
    cli: true,
    result: await viaCli(argsOf(c), env),
  })));
  return [...cli, ...all.map((c) => ({ ...c, cli: false, result: inProcess(argsOf(c), env) }))];
}

let matrix: Promise<CaseOutput[]> | undefined;
const cases = () => matrix ??= runMatrix();

Deno.test("BINARY_PERMISSION_FLAGS are exactly the compile task's permission flags", async () => {
  assert.deepEqual([...BINARY_PERMISSION_FLAGS], await compilePermissionFlags());
});

Deno.test("JSR_SPECIFIER names deno.json's package at deno.json's version", async () => {
  const { name, version } = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  assert.equal(JSR_SPECIFIER, `jsr:${name}@${version}`);
});

Deno.test("config prints, for every client and way, a config that parses and names the right launch", async () => {
  for (const { client, via, sandbox, cli, result } of await cases()) {
    const label = `${cli ? "CLI " : ""}${client} --via ${via}${sandbox ? " --sandbox" : ""}`;
    assert.equal(result.code, 0, `${label}: ${result.stderr}`);
    assert.ok(!result.stdout.includes(FAKE_KEY) && !result.stderr.includes(FAKE_KEY), label);
    assert.match(result.stderr, /^[^\n]+\n$/, `${label}: one line on stderr`);
    const launch = launchOf(client, result.stdout);
    const { command, args } = expectedArgs(via, sandbox);
    assert.equal(launch.command, command, label);
    assert.deepEqual(launch.args, args, label);
    assert.deepEqual(launch.env, sandbox ? {} : { RUNPOD_API_KEY: KEY_REFS[client] }, label);
    assert.ok(!launch.args.some((a) => a.includes("RUNPOD_API_KEY=")), `${label}: key by name`);
  }
});

Deno.test("config for VS Code asks for the key through a password input, and only when needed", async () => {
  for (const { client, sandbox, result } of await cases()) {
    if (client !== "vscode") continue;
    const { inputs } = JSON.parse(result.stdout);
    assert.deepEqual(
      inputs,
      sandbox ? undefined : [{
        type: "promptString",
        id: "runpod-api-key",
        description: "RunPod API key",
        password: true,
      }],
    );
  }
});

Deno.test("config's stderr line says where the output goes and how the key gets there", async () => {
  for (const { client, sandbox, result } of await cases()) {
    const where = {
      "claude-desktop": /claude_desktop_config\.json/,
      "claude-code": /run this command in a shell/,
      cursor: /\.cursor\/mcp\.json/,
      vscode: /\.vscode\/mcp\.json/,
      windsurf: /\.codeium\/windsurf\/mcp_config\.json/,
    }[client];
    assert.match(result.stderr, where);
    if (sandbox) assert.match(result.stderr, /sandbox mode: .*no key/);
  }
  const note = (client: ClientId) => {
    const result = configCommand([client], {}, "linux");
    return result.kind === "output" ? result.stderr : "";
  };
  assert.match(note("claude-desktop"), /replace rpa_your_key with your API key/);
  assert.match(note("cursor"), /\$\{env:RUNPOD_API_KEY\}/);
  assert.match(note("windsurf"), /\$\{env:RUNPOD_API_KEY\}/);
  assert.match(note("claude-code"), /set RUNPOD_API_KEY in that shell first/);
});

Deno.test("config names each OS's own file", () => {
  const stderr = (client: ClientId, os: Os) => {
    const result = configCommand([client, "--sandbox"], {}, os);
    assert.equal(result.kind, "output");
    return result.kind === "output" ? result.stderr : "";
  };
  assert.match(
    stderr("claude-desktop", "darwin"),
    /add to ~\/Library\/Application Support\/Claude\/claude_desktop_config\.json,/,
  );
  assert.match(
    stderr("claude-desktop", "windows"),
    /add to %APPDATA%\\Claude\\claude_desktop_config\.json,/,
  );
  assert.match(stderr("claude-desktop", "linux"), /macOS: .*; Windows: /);
  assert.match(stderr("cursor", "windows"), /add to %USERPROFILE%\\\.cursor\\mcp\.json/);
  assert.match(stderr("windsurf", "darwin"), /add to ~\/\.codeium\/windsurf\/mcp_config\.json,/);
});

/** A client's own step: fill in the key reference. Then the launch with a local main.ts. */
function localLaunch(launch: Launch): { args: string[]; env: Record<string, string> } {
  assert.equal(launch.command, "deno");
  const at = launch.args.indexOf(JSR_SPECIFIER);
  assert.ok(at > 0, "the JSR specifier is in the args");
  const args = launch.args.with(at, "main.ts");
  if (!args.includes("--sandbox")) args.push("--sandbox");
  const env = Object.fromEntries(Object.keys(launch.env).map((name) => [name, FAKE_KEY]));
  return { args, env };
}

Deno.test("every distinct --via deno launch serves MCP over stdio with main.ts for the JSR package", async () => {
  const shapes = new Map<string, Launch>();
  const outputs = (await cases()).filter((c) => c.via === "deno");
  for (const { client, cli, result } of outputs.sort((a, b) => Number(b.cli) - Number(a.cli))) {
    const launch = launchOf(client, result.stdout);
    const shape = JSON.stringify([launch.command, launch.args]);
    assert.ok(cli || shapes.has(shape), `${shape} was printed by the CLI too`);
    shapes.set(shape, launch);
  }
  assert.equal(shapes.size, 2, "one launch with a key, one in sandbox mode");
  for (const launch of shapes.values()) {
    const { args, env } = localLaunch(launch);
    await using server = await spawnServer(args, env);
    assert.equal(server.client.getServerVersion()?.name, "runpod-mcp");
    const { tools } = await server.client.listTools();
    assert.ok(tools.some((t) => t.name === "list_gpu_types"));
    const result = await server.client.callTool({
      name: "list_gpu_types",
      arguments: { min_vram_gb: 24 },
    });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
    assert.ok((result.structuredContent as { gpus: unknown[] }).gpus.length > 0);
    assert.deepEqual(server.transportErrors, []);
    assert.ok(!server.stderr().includes(FAKE_KEY));
  }
});

Deno.test("config --inline-key writes the key from the environment and warns on stderr", async () => {
  const env = { RUNPOD_API_KEY: FAKE_KEY };
  const outputs = await Promise.all(CLIENT_IDS.map(async (client) => ({
    client,
    // Two through the CLI: a shell line and a JSON file.
    result: client === "claude-code" || client === "cursor"
      ? await viaCli([client, "--inline-key"], env)
      : inProcess([client, "--inline-key"], env),
  })));
  for (const { client, result } of outputs) {
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(launchOf(client, result.stdout).env, { RUNPOD_API_KEY: FAKE_KEY });
    assert.match(result.stderr, /WARNING: .*API key in clear text/);
    assert.ok(!result.stderr.includes(FAKE_KEY));
    if (client === "vscode") assert.equal(JSON.parse(result.stdout).inputs, undefined);
  }
});

Deno.test("config --inline-key quotes a key with shell characters for Claude Code", () => {
  const key = "rpa_it's a $KEY*";
  const result = configCommand(["claude-code", "--inline-key"], { RUNPOD_API_KEY: key }, "linux");
  assert.equal(result.kind, "output");
  const stdout = result.kind === "output" ? result.stdout : "";
  assert.deepEqual(claudeCodeLaunch(stdout, "runpod").env, { RUNPOD_API_KEY: key });
});

Deno.test("config --name names the server in every client's config", () => {
  for (const client of CLIENT_IDS) {
    const result = configCommand([client, "--name", "gpu-cloud_2"], {}, "linux");
    assert.equal(result.kind, "output");
    launchOf(client, result.kind === "output" ? result.stdout : "", "gpu-cloud_2");
  }
});

Deno.test("config with no client, or with --help, lists the clients and options and exits 0", async () => {
  for (const result of [await viaCli([]), inProcess(["--help"])]) {
    assert.equal(result.code, 0);
    assert.equal(result.stderr, "");
    for (const word of [...CLIENT_IDS, ...VIAS, "--sandbox", "--inline-key", "--name"]) {
      assert.ok(result.stdout.includes(word), word);
    }
  }
  const help = await run(["run", "main.ts", "--help"]);
  assert.match(help.stdout, /runpod-mcp config <client>/);
});

const BAD_ARGS: [string[], RegExp][] = [
  [
    ["cursr"],
    /unknown client cursr \(did you mean cursor\?\): choose one of claude-desktop, claude-code, cursor, vscode, windsurf/,
  ],
  [["toString"], /unknown client toString: choose one of/],
  [
    ["cursor", "--vai", "deno"],
    /unknown option --vai \(did you mean --via\?\); the options are --via, --sandbox/,
  ],
  [["cursor", "--via", "podman"], /--via podman: choose one of binary, deno, docker/],
  [["cursor", "vscode"], /more than one client .*cursor, vscode/],
  [["cursor", "--name", "my server"], /--name "my server": use 1 to 64 letters/],
  [["cursor", "--inline-key", "--sandbox"], /Cannot combine --inline-key with --sandbox/],
  [["cursor", "--inline-key"], /Cannot write the key inline: env RUNPOD_API_KEY is not set/],
];

Deno.test("config refuses an unknown client, option or value, naming the valid ones", () => {
  for (const [args, error] of BAD_ARGS) {
    const result = inProcess(args);
    assert.equal(result.code, 2, args.join(" "));
    assert.match(result.stderr, error);
  }
});

Deno.test("main.ts config exits 2 on bad arguments, with the error and a usage hint on stderr", async () => {
  await Promise.all([0, 2, 7].map(async (i) => {
    const [args, error] = BAD_ARGS[i]!;
    const result = await viaCli(args);
    assert.equal(result.code, 2, args.join(" "));
    assert.equal(result.stdout, "");
    assert.match(result.stderr, new RegExp(`^runpod-mcp: .*${error.source}`));
    assert.match(result.stderr, /\nRun runpod-mcp config --help for usage\.\n$/);
  }));
});

Deno.test("parseCli() answers config before reading any server setting", () => {
  const result = parseCli(["config", "cursor", "--sandbox"], { RUNPOD_MCP_PORT: "not a port" });
  assert.equal(result.kind, "config");
});

Deno.test("the README's example is exactly what config vscode --via deno prints", async () => {
  const result = configCommand(["vscode", "--via", "deno"], {}, "linux");
  assert.equal(result.kind, "output");
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  assert.ok(
    readme.includes("```json\n" + result.stdout.trimEnd() + "\n```"),
    "README.md's Clients example is stale: paste the output of main.ts config vscode --via deno",
  );
});
