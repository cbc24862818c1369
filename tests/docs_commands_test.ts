/**
 * The shell commands in the docs run as written. Every ```sh or ```bash block in README.md,
 * CONTRIBUTING.md and docs/ (with its subfolders) carries one of two markers on the nearest
 * non-blank line above its opening fence:
 *
 * - `<!-- runnable -->`: the block is run verbatim by bash from the repository root, with a
 *   scrubbed env (the toolchain's, plus the pinned Deno first on `PATH`) and a timeout, and must
 *   exit 0. Keep these fast and offline: the npm registry is the only network they may use.
 * - `<!-- not runnable: <reason> -->`: the block is skipped, and the reason says why (it starts a
 *   server, needs a real API key, needs the released binary, …).
 *
 * A shell block with neither marker fails, naming its file and line.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT, toolchainEnv } from "./_spawn.ts";

/** The marker that has a block run. */
export const RUNNABLE_MARKER = "<!-- runnable -->";

/** The marker that has a block skipped; the reason follows the colon. */
const NOT_RUNNABLE = /^<!--\s*not runnable:\s*(\S.*?)\s*-->$/;

/** Fence info strings that mark a shell block. */
const SHELL_LANGUAGES = new Set(["sh", "bash", "shell", "zsh"]);

/** How long one runnable block may take. */
const BLOCK_TIMEOUT_MS = 60_000;

/** One fenced shell block, with the marker above it. */
interface ShellBlock {
  /** Path from the repository root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  script: string;
  marker: { kind: "runnable" } | { kind: "not-runnable"; reason: string } | { kind: "none" };
}

const rootPath = fileURLToPath(ROOT);

/** README.md, CONTRIBUTING.md and every Markdown file under docs/, sorted. */
async function docFiles(): Promise<string[]> {
  const files = ["README.md", "CONTRIBUTING.md"];
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(join(rootPath, dir))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && entry.name.endsWith(".md")) files.push(path);
    }
  };
  await walk("docs");
  const present: string[] = [];
  for (const file of files.sort()) {
    try {
      await Deno.stat(join(rootPath, file));
      present.push(file);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return present;
}

function markerOf(line: string | undefined): ShellBlock["marker"] {
  const text = line?.trim() ?? "";
  if (text === RUNNABLE_MARKER) return { kind: "runnable" };
  const reason = NOT_RUNNABLE.exec(text)?.[1];
  return reason ? { kind: "not-runnable", reason } : { kind: "none" };
}

/**
 * The fenced shell blocks of one Markdown text. Fences may be indented (inside list items) and
 * use backticks or tildes; a block closes at a fence of the same character and at least the
 * same length. The indentation of the opening fence is taken off every line of the block.
 */
export function shellBlocks(file: string, text: string): ShellBlock[] {
  const lines = text.split(/\r?\n/);
  const blocks: ShellBlock[] = [];
  let previous: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i] ?? "");
    if (!open) {
      if ((lines[i] ?? "").trim() !== "") previous = lines[i];
      continue;
    }
    const [, indent = "", fence = "", language = ""] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? "";
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(line)?.[1] ?? "";
      if (close[0] === fence[0] && close.length >= fence.length) break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    if (SHELL_LANGUAGES.has(language.toLowerCase())) {
      blocks.push({
        file,
        line: i + 1,
        script: body.join("\n") + "\n",
        marker: markerOf(previous),
      });
    }
    previous = lines[j];
    i = j;
  }
  return blocks;
}

async function allBlocks(): Promise<ShellBlock[]> {
  const blocks: ShellBlock[] = [];
  for (const file of await docFiles()) {
    blocks.push(...shellBlocks(file, await Deno.readTextFile(join(rootPath, file))));
  }
  return blocks;
}

/** The env a block runs with: the toolchain's, with the Deno running the tests first on PATH. */
function blockEnv(): Record<string, string> {
  const env = toolchainEnv();
  const denoDir = dirname(Deno.execPath());
  const separator = Deno.build.os === "windows" ? ";" : ":";
  env.PATH = env.PATH ? `${denoDir}${separator}${env.PATH}` : denoDir;
  return { ...env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
}

async function runBlock(block: ShellBlock): Promise<void> {
  const where = `${block.file}:${block.line}`;
  const output = await new Deno.Command("bash", {
    args: ["-e", "-o", "pipefail", "-c", block.script],
    cwd: rootPath,
    env: blockEnv(),
    clearEnv: true,
    stdin: "null",
    signal: AbortSignal.timeout(BLOCK_TIMEOUT_MS),
  }).output();
  const decoder = new TextDecoder();
  assert.equal(
    output.code,
    0,
    `Cannot run the shell block at ${where}: it exited with ${output.code}${
      output.signal ? ` (signal ${output.signal}, timeout ${BLOCK_TIMEOUT_MS / 1000} s)` : ""
    }\n--- script\n${block.script}--- stdout\n${decoder.decode(output.stdout)}--- stderr\n${
      decoder.decode(output.stderr)
    }`,
  );
}

Deno.test("shellBlocks() finds indented and tilde fences and reads the marker above each", () => {
  const text = [
    "<!-- runnable -->",
    "```sh",
    "echo one",
    "```",
    "",
    "- item",
    "",
    "  <!-- not runnable: starts a server -->",
    "",
    "  ~~~bash",
    "  deno task serve",
    "  ~~~",
    "```json",
    "{}",
    "```",
    "```sh",
    "echo unmarked",
    "```",
  ].join("\n");
  const blocks = shellBlocks("x.md", text);
  assert.deepEqual(blocks.map((b) => [b.line, b.script, b.marker]), [
    [2, "echo one\n", { kind: "runnable" }],
    [10, "deno task serve\n", { kind: "not-runnable", reason: "starts a server" }],
    [16, "echo unmarked\n", { kind: "none" }],
  ]);
});

Deno.test("every shell block in the docs is marked runnable or not runnable with a reason", async () => {
  const blocks = await allBlocks();
  assert.ok(blocks.length > 0, "Cannot find any shell block in the docs");
  const unmarked = blocks.filter((b) => b.marker.kind === "none").map((b) => `${b.file}:${b.line}`);
  assert.deepEqual(
    unmarked,
    [],
    `Cannot tell whether these shell blocks run: put "${RUNNABLE_MARKER}" or "<!-- not runnable: <reason> -->" on the line above each fence:\n  ${
      unmarked.join("\n  ")
    }`,
  );
});

Deno.test({
  name: "every runnable shell block in the docs exits 0 from the repository root",
  // The blocks are POSIX shell; the marker check above covers Windows.
  ignore: Deno.build.os === "windows",
  fn: async (t) => {
    const runnable = (await allBlocks()).filter((b) => b.marker.kind === "runnable");
    assert.ok(runnable.length > 0, "Cannot find any runnable shell block in the docs");
    for (const block of runnable) {
      await t.step(`${block.file}:${block.line}`, () => runBlock(block));
    }
  },
});
