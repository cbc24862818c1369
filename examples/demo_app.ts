/**
 * A small program that uses runpod-mcp the way any MCP client application would: it starts the
 * server (or connects to a running one), calls tools, handles the confirmation the server asks
 * for before anything that costs money, and prints a report.
 *
 * The workflow: find the cheapest GPU with at least 24 GB of VRAM, estimate what 3 hours of it
 * cost, rent a pod on it, wait for the pod, read it as a resource, and terminate it.
 *
 * ```sh
 * # Start the server over stdio in sandbox mode (simulated RunPod, no real money):
 * deno run -A examples/demo_app.ts
 * # Say yes to every confirmation without asking:
 * deno run -A examples/demo_app.ts --yes
 * # Connect to a running server over Streamable HTTP (e.g. `deno task serve`):
 * deno run -A examples/demo_app.ts --http http://127.0.0.1:8080/mcp
 * # Start some other server command over stdio (RUNPOD_API_KEY passes through: real money!):
 * deno run -A examples/demo_app.ts -- runpod-mcp
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import type { CallToolResult, Transport } from "../src/deps.ts";
import {
  Client,
  createStdioClientTransport,
  StreamableHTTPClientTransport,
} from "../src/deps_client.ts";
import { BINARY_PERMISSION_FLAGS } from "../src/client_config.ts";

const { values: flags, positionals: command } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    http: { type: "string" }, // MCP endpoint URL; default: spawn the server over stdio
    token: { type: "string" }, // bearer for --http, when the server asks for one
    yes: { type: "boolean", default: false }, // approve confirmations without asking
    "min-vram": { type: "string", default: "24" }, // GB per GPU
    hours: { type: "string", default: "3" }, // how long the estimate covers
    "wait-s": { type: "string", default: "120" }, // how long to wait for the pod (5–900 s)
  },
});
const minVram = Number(flags["min-vram"]);
const hours = Number(flags.hours);

/** Everything the report says, in order; printed at the end so it reads as one block. */
const report: string[] = [];
const say = (line: string) => report.push(line);

/** The server runs as a child process over stdio, or is reached over Streamable HTTP. */
async function openTransport(): Promise<{ transport: Transport; how: string }> {
  if (flags.http) {
    const headers: Record<string, string> = flags.token
      ? { Authorization: `Bearer ${flags.token}` }
      : {};
    const transport = new StreamableHTTPClientTransport(new URL(flags.http), {
      requestInit: { headers },
    });
    return { transport, how: `Streamable HTTP at ${flags.http}` };
  }
  // By default: this repository's main.ts under `deno run`, with exactly the permissions the
  // compiled binary has, in sandbox mode. A command after `--` replaces it.
  const main = fileURLToPath(new URL("../main.ts", import.meta.url));
  const [cmd, ...args] = command.length > 0
    ? command
    : [Deno.execPath(), "run", ...BINARY_PERMISSION_FLAGS, main, "--sandbox"];
  // The child sees only what it needs: where deno and its cache are, and the TLS trust of this
  // machine (a corporate proxy's CA, say). RUNPOD_API_KEY passes only to a command you chose.
  const names = ["PATH", "HOME", "DENO_DIR", "NODE_EXTRA_CA_CERTS"];
  if (command.length > 0) names.push("RUNPOD_API_KEY");
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of names) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  const transport = await createStdioClientTransport({ command: cmd!, args, env, stderr: "pipe" });
  return {
    transport,
    how: `stdio: ${command.length > 0 ? command.join(" ") : "main.ts --sandbox"}`,
  };
}

/** The structured results this program reads: a few fields of each tool's `outputSchema`. */
interface Results {
  list_gpu_types: {
    count: number;
    gpus: { id: string; name: string; vram_gb: number; secure_price: number | null }[];
  };
  estimate_cost: { usd_per_hour: number; total_usd: number };
  create_pod: { pod: { id: string; status: string }; guard?: Guard };
  wait_for_pod: { outcome: string; status: string; waited_s: number };
  terminate_pod: { status: string; guard?: Guard };
}
/** What a paid or destructive call answers first instead of acting. */
interface Guard {
  status: string;
  token: string;
}
type Answer<T> = { data: T; text: string };

/** Calls a tool; a tool error (isError) stops the demo with the server's own explanation. */
async function call<N extends keyof Results>(
  client: Client,
  name: N,
  args: Record<string, unknown>,
): Promise<Answer<Results[N]>> {
  const result = await client.callTool({ name, arguments: args }) as CallToolResult;
  const text = result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
  if (result.isError) throw new Error(`${name} failed: ${text}`);
  return { data: result.structuredContent as Results[N], text };
}

/**
 * Calls a tool that may cost money or destroy something. The server does not run it at once: it
 * answers with what the call would do and cost, plus a token. Only the same call repeated with
 * that token goes ahead, so the program must ask its user in between.
 */
async function callConfirmed<N extends "create_pod" | "terminate_pod">(
  client: Client,
  name: N,
  args: Record<string, unknown>,
): Promise<Answer<Results[N]> | undefined> {
  const first = await call(client, name, args);
  const guard = first.data.guard;
  if (guard?.status !== "confirmation_required") return first; // no confirmation needed
  const question = first.text.split(" Tell the user")[0]!; // the server's plain-words part
  say(`   Server asks: ${question}`);
  // Deno's confirm() reads y/N from the terminal; with no terminal it answers no.
  const yes = flags.yes || confirm(`${question}\nAllow it?`);
  say(`   Answer: ${yes ? "yes" : "no"}${flags.yes ? " (--yes)" : ""}`);
  if (!yes) return undefined;
  return await call(client, name, { ...args, confirmation_token: guard.token });
}

const money = (usd: number) => `$${usd.toFixed(2)}`;

/** The workflow itself: each step is one tool call (or resource read) and one report line. */
async function workflow(client: Client): Promise<void> {
  const gpus = await call(client, "list_gpu_types", {
    min_vram_gb: minVram,
    available_only: true,
  });
  // The list is cheapest first; skip rows with no on-demand price in the secure cloud.
  const gpu = gpus.data.gpus.find((g) => g.secure_price !== null);
  if (!gpu) throw new Error(`No GPU with ${minVram} GB of VRAM or more is in stock`);
  say(
    `1. GPU chosen: ${gpu.name} (${gpu.vram_gb} GB VRAM) at ${
      money(gpu.secure_price!)
    }/GPU-hour, the cheapest in stock of ${gpus.data.count} with ≥${minVram} GB`,
  );

  const estimate = await call(client, "estimate_cost", { kind: "pod", gpu_type: gpu.id, hours });
  say(
    `2. Cost: ${money(estimate.data.usd_per_hour)}/hour, ${
      money(estimate.data.total_usd)
    } for ${hours} hours at list prices`,
  );

  say("3. Create the pod");
  const created = await callConfirmed(client, "create_pod", {
    name: "demo-app",
    image: "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04",
    gpu_type: gpu.id,
  });
  if (!created) {
    say("   Not created: nothing was rented, nothing to clean up");
    return;
  }
  const pod = created.data.pod;
  say(`   Pod created: ${pod.id} (demo-app), status ${pod.status}`);

  try {
    const waited = await call(client, "wait_for_pod", {
      pod_id: pod.id,
      timeout_s: Number(flags["wait-s"]),
    });
    say(
      `4. Wait: ${waited.data.outcome}, status ${waited.data.status} after ${waited.data.waited_s} s`,
    );

    // Resources are the read-only view of the same data, for clients that show them to the user.
    const resource = await client.readResource({ uri: `runpod://pods/${pod.id}` });
    const first = resource.contents[0];
    const detail = JSON.parse(first && "text" in first ? first.text : "{}");
    say(
      `5. Resource runpod://pods/${pod.id}: status ${detail.status}, ${
        money(detail.cost_per_hour ?? 0)
      }/hour, image ${detail.image}`,
    );
  } finally {
    // However the steps above ended, do not leave a paid pod running.
    say("6. Terminate the pod");
    const gone = await callConfirmed(client, "terminate_pod", { pod_id: pod.id });
    say(
      gone
        ? `   Terminated: ${pod.id}, status ${gone.data.status}`
        : `   WARNING: pod ${pod.id} is still running and billing; terminate it yourself`,
    );
  }
}

const { transport, how } = await openTransport();
const client = new Client({ name: "runpod-mcp-demo-app", version: "1.0.0" });
await client.connect(transport);
const server = client.getServerVersion();
console.log(`runpod-mcp demo over ${how}`);
console.log(`Server: ${server?.name} ${server?.version}`);
let failed = false;
try {
  await workflow(client);
} catch (error) {
  failed = true;
  say(`Stopped: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await client.close();
}
console.log(report.join("\n"));
if (failed) Deno.exit(1);
