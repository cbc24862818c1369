/**
 * runpod-mcp: an MCP server that runs a RunPod GPU cloud account safely.
 *
 * `deno run main.ts --sandbox` starts it against the built-in simulator (no account needed);
 * `--help` lists every option.
 *
 * @module
 */

import { main } from "./src/cli.ts";

if (import.meta.main) {
  await main(Deno.args);
}
