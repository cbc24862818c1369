/**
 * What `tools/list` costs a model, in bytes of compact JSON, measured through a real SDK client:
 * the whole answer, and name + description + input schema (what every client shows the model).
 * Run: `deno task bench:size` (add `--json` for machine-readable output, `--only=a,b` for some
 * tools).
 *
 * @module
 */

import { InMemoryTransport, type Tool } from "../src/deps.ts";
import { Client } from "../src/deps_client.ts";
import { createLogger, silentLogger } from "../src/log.ts";
import { RunpodClient } from "../src/runpod/mod.ts";
import { RunpodSimulator } from "../src/sandbox/mod.ts";
import { createServer } from "../src/server.ts";

/** Byte figures for one `tools/list` answer. */
export interface ToolListSize {
  tools: number;
  /** The whole `tools` array, compact JSON. */
  wholeBytes: number;
  /** Name + description + input schema of every tool. */
  modelBytes: number;
  /** The largest tools by whole size, name and bytes. */
  largest: [string, number][];
}

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

/** Measures `tools` as a client received them. */
export function measureToolList(tools: readonly Tool[]): ToolListSize {
  return {
    tools: tools.length,
    wholeBytes: bytes(tools),
    modelBytes: tools.reduce(
      (sum, t) => sum + bytes(t.name) + bytes(t.description ?? "") + bytes(t.inputSchema),
      0,
    ),
    largest: tools.map((t): [string, number] => [t.name, bytes(t)])
      .sort((a, b) => b[1] - a[1]).slice(0, 5),
  };
}

/** Starts the server on an in-process simulator and lists its tools through an SDK client. */
export async function listAllTools(): Promise<Tool[]> {
  const sim = new RunpodSimulator();
  const runpod = new RunpodClient({
    apiKey: "rpa_SIZEBENCH000000",
    restBaseUrl: "http://sandbox.runpod.invalid",
    fetch: sim.fetch,
    logger: silentLogger,
  });
  const logger = createLogger({ level: "error", write: () => {} });
  const server = createServer({ runpod, logger }, { version: "size" });
  const client = new Client({ name: "size", version: "1" });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(b), client.connect(a)]);
  const { tools } = await client.listTools();
  await client.close();
  return tools;
}

if (import.meta.main) {
  // `--only a,b,c` measures just those tools (one area's share of the budget).
  const only = Deno.args.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
  const all = await listAllTools();
  const size = measureToolList(only ? all.filter((t) => only.includes(t.name)) : all);
  if (Deno.args.includes("--json")) {
    console.log(JSON.stringify(size));
  } else {
    console.log(`tools/list: ${size.tools} tools`);
    console.log(`  whole answer:                     ${size.wholeBytes} bytes`);
    console.log(`  name + description + input schema: ${size.modelBytes} bytes`);
    console.log(`  largest: ${size.largest.map(([n, b]) => `${n} ${b}`).join(", ")}`);
  }
}
