/**
 * The machinery behind the worked examples: a scripted agent session that drives the real server
 * through a real MCP SDK `Client`, against the in-process RunPod simulator, and records what
 * happens as a Markdown transcript for `docs/examples/`.
 *
 * An example is a module `examples/<name>.ts` (snake_case) that exports `meta` and `run`, and
 * ends with `if (import.meta.main) await main(meta, run);`. Its transcript is
 * `docs/examples/<kebab-name>.md`, where the kebab name is the module name with `_` replaced by
 * `-` (see {@linkcode transcriptFileName}):
 *
 * - `deno run -A examples/<name>.ts` writes the transcript;
 * - `deno run -A examples/<name>.ts --check` exits 1 when the committed one differs.
 *
 * Every run is byte-identical: the simulator has a fixed seed and a manual clock, every wait
 * (tool polls, client retries) advances that clock instead of sleeping, retry jitter is fixed,
 * the connection is always the 2025-era in-memory pair (whatever `RUNPOD_MCP_TEST_ERA` says), and
 * the one random value the server makes — a confirmation token's nonce and signature — is shown
 * as `<token>`.
 *
 * @example
 * ```ts ignore
 * import { main, type Session } from "./_session.ts";
 * export const meta = { name: "hello", title: "Hello" };
 * export async function run(s: Session) {
 *   s.user("What GPUs are there?");
 *   await s.call("list_gpu_types", { available_only: true });
 * }
 * if (import.meta.main) await main(meta, run);
 * ```
 *
 * @module
 */

import { type CallToolResult, InMemoryTransport, type McpServer } from "../src/deps.ts";
import { Client } from "../src/deps_client.ts";
import { createLogger } from "../src/log.ts";
import { RunpodClient } from "../src/runpod/mod.ts";
import { RunpodSimulator } from "../src/sandbox/mod.ts";
import { createApp } from "../src/server.ts";
import type { Clock } from "../src/tools/mod.ts";

/** Options for {@linkcode openSession}. */
export interface SessionOptions {
  title: string;
  intro?: string;
}

/** A scripted conversation between a user, an agent and runpod-mcp, recorded as Markdown. */
export interface Session {
  /** A line the user says (recorded as "**User:** …"). */
  user(text: string): void;
  /** What the agent says or decides (recorded as narration). */
  agent(text: string): void;
  /**
   * Calls a tool like a model would; records the call (tool + args as JSON) and the important
   * part of the result (the text summary, truncated sensibly; isError marked). If the result asks
   * for a confirmation (structuredContent.guard.status === "confirmation_required", token path),
   * records the question, then the scripted user's answer (`confirm` option: true by default =
   * "yes"), and if yes repeats the call with confirmation_token and records that result. Returns
   * the final CallToolResult.
   */
  call(
    tool: string,
    args?: Record<string, unknown>,
    options?: { confirm?: boolean; note?: string },
  ): Promise<CallToolResult>;
  /** A note about the simulated world, not said by anyone (e.g. a scripted fault or new log lines). */
  aside(text: string): void;
  /** Reads a resource, recorded the same way. */
  readResource(uri: string): Promise<unknown>;
  /** Gets a prompt, recorded the same way. */
  getPrompt(name: string, args?: Record<string, string>): Promise<unknown>;
  /** What RunPod (the simulator) received so far: `METHOD /path` list. */
  runpodRequests(): string[];
  /** The Markdown transcript so far. */
  transcript(): string;
  close(): Promise<void>;
  /** The simulator behind the session (state checks in tests; scripted faults in examples). */
  readonly simulator: RunpodSimulator;
}

/** What an example module exports as `meta`. */
export interface ExampleMeta {
  /** The module name without `.ts`, snake_case, e.g. `fine_tune`. */
  name: string;
  title: string;
  intro?: string;
}

/** An example's script. */
export type ExampleRun = (s: Session) => Promise<void>;

/** The simulator seed every example uses, so ids are the same on every run. */
export const EXAMPLE_SEED = 20261124;

/** The API key the sandbox accepts; never shown in a transcript. */
const SANDBOX_KEY = "rpa_EXAMPLE_NOT_A_REAL_KEY";
const SIM_URL = "http://sandbox.runpod.invalid";
const TOKEN_PLACEHOLDER = "<token>";
const MAX_RESULT_LINES = 24;
const MAX_RESULT_CHARS = 1_800;

/** `fine_tune` → `fine-tune.md`: the transcript's file name under `docs/examples/`. */
export function transcriptFileName(name: string): string {
  return `${name.replaceAll("_", "-")}.md`;
}

/** The transcript's location: `docs/examples/<kebab-name>.md` in this repository. */
export function transcriptUrl(name: string): URL {
  return new URL(`../docs/examples/${transcriptFileName(name)}`, import.meta.url);
}

function fence(lang: string, body: string): string {
  // A body holding ``` would close the fence early: use a longer one.
  const ticks = body.includes("```") ? "````" : "```";
  return `${ticks}${lang}\n${body}\n${ticks}`;
}

/** Arguments as JSON: on one line when short, else indented with short lists kept on one line. */
function argsJson(args: Record<string, unknown>): string {
  const flat = JSON.stringify(args);
  if (flat.length <= 80) return flat;
  return JSON.stringify(args, null, 2).replace(
    /\[\n\s*([^[\]{}]*?)\n\s*\]/g,
    (_, inner: string) => `[${inner.split(/,\n\s*/).join(", ")}]`,
  );
}

function excerpt(text: string): string {
  let lines = text.replace(/\s+$/, "").split("\n");
  let dropped = 0;
  if (lines.length > MAX_RESULT_LINES) {
    dropped = lines.length - MAX_RESULT_LINES;
    lines = lines.slice(0, MAX_RESULT_LINES);
  }
  let body = lines.join("\n");
  if (body.length > MAX_RESULT_CHARS) {
    const cut = body.lastIndexOf("\n", MAX_RESULT_CHARS);
    const kept = body.slice(0, cut > 0 ? cut : MAX_RESULT_CHARS);
    dropped += body.slice(kept.length).split("\n").filter((l) => l.length > 0).length;
    body = kept;
  }
  return dropped > 0 ? `${body}\n… (${dropped} more lines)` : body;
}

function textOf(result: CallToolResult): string {
  return result.content
    .map((block) => block.type === "text" ? block.text : `[${block.type} content]`)
    .join("\n");
}

const MAX_JSON_CHARS = 400;

/**
 * The part of a result's text a reader needs: the summary. Tools append a JSON copy of
 * `structuredContent` after a blank line; it is left out when the summary says enough, else kept
 * but cut short.
 */
function summaryOf(result: CallToolResult): string {
  const text = textOf(result).replace(/\s+$/, "");
  const split = text.lastIndexOf("\n\n");
  if (split < 0 || !result.structuredContent) return text;
  const tail = text.slice(split + 2);
  try {
    JSON.parse(tail);
  } catch {
    return text;
  }
  const head = text.slice(0, split).replace(/\s+$/, "");
  if (head.includes("\n") || head.length >= 120) return head;
  const json = tail.length > MAX_JSON_CHARS ? `${tail.slice(0, MAX_JSON_CHARS)}…` : tail;
  return `${head}\n${json}`;
}

interface GuardView {
  status?: string;
  token?: string;
  cost?: string;
  action?: string;
  expires_at?: string;
  usd_per_hour?: number;
  usd_per_month?: number;
}

function guardOf(result: CallToolResult): GuardView | undefined {
  const data = result.structuredContent as { guard?: GuardView } | undefined;
  return data?.guard;
}

function collapse(lines: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === lines[i]) j++;
    const count = j - i + 1;
    out.push(count > 1 ? `${lines[i]} ×${count}` : lines[i]!);
    i = j + 1;
  }
  return out;
}

/**
 * Opens a session: a fresh seeded simulator on a manual clock, the real server (default policy:
 * billable and destructive calls need confirmation) and an SDK client that declares no
 * elicitation, so confirmations take the token path.
 */
export async function openSession(options: SessionOptions): Promise<Session> {
  const sim = new RunpodSimulator({ apiKey: SANDBOX_KEY, seed: EXAMPLE_SEED });
  const logger = createLogger({ level: "error", write: () => {}, secrets: [SANDBOX_KEY] });
  const runpod = new RunpodClient({
    apiKey: SANDBOX_KEY,
    restBaseUrl: SIM_URL,
    serverlessBaseUrl: `${SIM_URL}/v2`,
    graphqlUrl: `${SIM_URL}/graphql`,
    fetch: sim.fetch,
    logger,
    now: () => sim.now(),
    random: () => 0.5,
    // A retry waits in simulated time.
    sleep: sim.sleep,
  });
  const clock: Clock = { now: () => sim.now(), sleep: sim.sleep };
  const app = createApp({ runpod, logger, clock }, {
    version: "0.0.0-example",
    sandbox: true,
    secrets: [SANDBOX_KEY],
  });
  const server = await app.factory({ era: "legacy" }) as McpServer;
  const client = new Client({ name: "scripted-agent", version: "1.0.0" }, { capabilities: {} });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);

  const parts: string[] = [`# ${options.title}`];
  if (options.intro) parts.push(options.intro.trim());
  const stated: string[] = [];
  const startBalance = sim.state.balance;
  let confirmations = 0;
  let closed = false;

  const scrub = (text: string, tokens: readonly string[]) => {
    let out = text;
    for (const token of tokens) out = out.replaceAll(token, TOKEN_PLACEHOLDER);
    return out;
  };

  const recordCall = (tool: string, args: Record<string, unknown>, note?: string) => {
    parts.push(`#### → \`${tool}\`${note ? ` — ${note}` : ""}`);
    if (Object.keys(args).length > 0) parts.push(fence("json", argsJson(args)));
  };

  const recordResult = (result: CallToolResult, tokens: readonly string[]) => {
    const label = result.isError ? "**Error result** (`isError: true`):" : "Result:";
    parts.push(label, fence("text", scrub(excerpt(summaryOf(result)), tokens)));
  };

  const call = async (
    tool: string,
    args: Record<string, unknown> = {},
    callOptions: { confirm?: boolean; note?: string } = {},
  ): Promise<CallToolResult> => {
    recordCall(tool, args, callOptions.note);
    const first = await client.callTool({ name: tool, arguments: args }) as CallToolResult;
    const guard = guardOf(first);
    if (guard?.status !== "confirmation_required" || !guard.token) {
      recordResult(first, []);
      return first;
    }
    const token = guard.token;
    const cost = guard.cost ?? "unknown";
    recordResult(first, [token]);
    const what = `The call would ${guard.action ?? `run ${tool}`}; stated cost: **${cost}**.`;
    parts.push(
      confirmations++ === 0
        ? `> **Confirmation needed** — nothing was sent to RunPod yet. ${what} This client shows` +
          " no forms (it declares no elicitation), so the server answered with a signed, one-time" +
          ` \`confirmation_token\` (shown here as \`${TOKEN_PLACEHOLDER}\`) bound to these exact` +
          ` arguments and valid until ${guard.expires_at ?? "it expires"}. The agent tells the` +
          " user the cost and asks; only a yes sends the call again with the token."
        : `> **Confirmation needed** — nothing was sent yet. ${what} The agent asks the user.`,
    );
    const yes = callOptions.confirm ?? true;
    const line = `\`${tool}\`: ${guard.action ?? tool} — ${cost}`;

    parts.push(`**User:** ${yes ? "Yes, go ahead." : "No, don't do that."}`);
    if (!yes) {
      stated.push(`${line} (declined)`);
      return first;
    }
    const repeated = { ...args, confirmation_token: token };
    parts.push(
      `#### → \`${tool}\` again, same arguments plus \`"confirmation_token": "${TOKEN_PLACEHOLDER}"\``,
    );
    const second = await client.callTool({ name: tool, arguments: repeated }) as CallToolResult;
    recordResult(second, [token]);
    stated.push(second.isError ? `${line} (agreed, but the call failed)` : line);
    return second;
  };

  const readResource = async (uri: string): Promise<unknown> => {
    parts.push(`#### → read resource \`${uri}\``);
    const result = await client.readResource({ uri });
    const text = result.contents
      .map((c) => "text" in c && typeof c.text === "string" ? c.text : `[${c.mimeType ?? "blob"}]`)
      .join("\n");
    let pretty: string | undefined;
    try {
      pretty = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      pretty = undefined;
    }
    parts.push(
      "Contents:",
      pretty === undefined ? fence("text", excerpt(text)) : fence("json", excerpt(pretty)),
    );
    return result;
  };

  const getPrompt = async (name: string, args: Record<string, string> = {}): Promise<unknown> => {
    parts.push(`#### → get prompt \`${name}\``);
    if (Object.keys(args).length > 0) parts.push(fence("json", argsJson(args)));
    const result = await client.getPrompt({ name, arguments: args });
    const text = result.messages
      .map((m) => m.content.type === "text" ? m.content.text : `[${m.content.type}]`)
      .join("\n");
    parts.push("Prompt:", fence("text", excerpt(text)));
    return result;
  };

  const runpodRequests = () => sim.requests.map((r) => `${r.method} ${r.path}`);

  const transcript = () => {
    const footer = [
      "## What RunPod received",
      "Every request the simulated RunPod API got during this session, in order (repeats folded):",
      fence("text", collapse(runpodRequests()).join("\n") || "(nothing)"),
      "## Costs",
      "What the server stated before each confirmation, and what RunPod charged:",
      stated.length > 0
        ? stated.map((line) => `- ${line}`).join("\n")
        : "No call needed a confirmation, so no cost was stated.",
      `Charged by the simulated RunPod during the session: $${
        (startBalance - sim.state.balance).toFixed(2)
      } (balance $${startBalance.toFixed(2)} → $${sim.state.balance.toFixed(2)}).`,
    ];
    return [...parts, ...footer].join("\n\n") + "\n";
  };

  return {
    simulator: sim,
    user: (text) => parts.push(`**User:** ${text}`),
    agent: (text) => parts.push(`_Agent:_ ${text}`),
    aside: (text) => parts.push(`> _Simulator:_ ${text}`),
    call,
    readResource,
    getPrompt,
    runpodRequests,
    transcript,
    close: async () => {
      if (closed) return;
      closed = true;
      await client.close();
      await server.close();
      await app.close();
    },
  };
}

/** The standard intro paragraph, after the example's own. */
function standardIntro(meta: ExampleMeta): string {
  const own = meta.intro ? `${meta.intro.trim()} ` : "";
  return `${own}This transcript was recorded by running \`examples/${meta.name}.ts\`: a scripted ` +
    "agent calls the real runpod-mcp server through the MCP SDK client, against the built-in " +
    "RunPod simulator (sandbox mode: realistic prices and behaviour, nothing billed, simulated " +
    `clock). Regenerate it with \`deno run -A examples/${meta.name}.ts\`; ` +
    "`deno task test` fails when it is out of date.";
}

const REPO_ROOT = new URL("../", import.meta.url);

/**
 * Formats Markdown exactly as `deno fmt` does in this repository (its line width and prose
 * wrapping), so a written transcript passes `deno fmt --check` unchanged. Runs the `deno` that
 * runs this code, from the repository root, so `deno.json` applies.
 */
export async function formatMarkdown(markdown: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "-"],
    cwd: REPO_ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(markdown));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  if (code !== 0) {
    throw new Error(
      `Cannot format the transcript: deno fmt said ${new TextDecoder().decode(stderr)}`,
    );
  }
  return new TextDecoder().decode(stdout);
}

/** The result of recording an example: its transcript (formatted) and the session, still open. */
export interface Recording {
  transcript: string;
  session: Session;
}

/**
 * Runs an example's script in a fresh session and returns its transcript with the session still
 * open (so a test can inspect the simulator); the caller closes it.
 */
export async function record(meta: ExampleMeta, run: ExampleRun): Promise<Recording> {
  const session = await openSession({ title: meta.title, intro: standardIntro(meta) });
  try {
    await run(session);
  } catch (error) {
    await session.close();
    throw error;
  }
  try {
    return { transcript: await formatMarkdown(session.transcript()), session };
  } catch (error) {
    await session.close();
    throw error;
  }
}

/**
 * Runs an example module's `run(session)` and writes or checks its transcript:
 * `deno run -A examples/<name>.ts` writes docs/examples/<kebab-name>.md; `--check` exits 1 on a
 * difference.
 */
export async function main(meta: ExampleMeta, run: ExampleRun): Promise<void> {
  const { transcript, session } = await record(meta, run);
  await session.close();
  const url = transcriptUrl(meta.name);
  if (Deno.args.includes("--check")) {
    let current = "";
    try {
      current = await Deno.readTextFile(url);
    } catch {
      // Missing counts as different.
    }
    if (current !== transcript) {
      console.error(
        `docs/examples/${
          transcriptFileName(meta.name)
        } is out of date: run deno run -A examples/${meta.name}.ts`,
      );
      Deno.exit(1);
    }
    console.log(`docs/examples/${transcriptFileName(meta.name)} is up to date`);
    return;
  }
  await Deno.mkdir(new URL(".", url), { recursive: true });
  await Deno.writeTextFile(url, transcript);
  console.log(`wrote docs/examples/${transcriptFileName(meta.name)}`);
}
