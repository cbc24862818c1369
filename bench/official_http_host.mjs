/**
 * Hosts the official RunPod MCP server's HTTP entry (`@runpod/mcp-server/http`) on node:http, for
 * `bench/http_load.ts`. Run with Node, never Deno:
 *
 *   node bench/official_http_host.mjs <install-prefix>
 *
 * `<install-prefix>` is the folder where `npm install --prefix` put the package (the bench installs
 * it outside this repository). The server listens on 127.0.0.1, a free port, path `/mcp`, and
 * writes one line `official host listening port=<port>` to stderr once it accepts connections.
 * Its settings (RunPod base URLs, MCP_SKIP_CREDENTIAL_CHECK) come from the environment, as the
 * package reads them.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";

const PACKAGE = "@runpod/mcp-server";

/** Finds the ESM file the package exports as `./http`, from its own package.json. */
async function httpEntry(prefix) {
  const root = join(prefix, "node_modules", ...PACKAGE.split("/"));
  const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
  const target = manifest.exports?.["./http"]?.import;
  if (typeof target !== "string") {
    throw new Error(`Cannot host ${PACKAGE}: its package.json exports no ESM "./http"`);
  }
  return pathToFileURL(join(root, target)).href;
}

function notFound(res) {
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: "not found: the MCP endpoint is /mcp" }));
}

async function main() {
  const prefix = process.argv[2];
  if (!prefix) throw new Error("Cannot host the official server: give the npm install prefix");
  const { handleMcpRequest } = await import(await httpEntry(prefix));
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/mcp") return notFound(res);
    handleMcpRequest(req, res).catch((error) => {
      process.stderr.write(`official host: request failed: ${error?.stack ?? error}\n`);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end();
    });
  });
  server.listen(0, "127.0.0.1", () => {
    process.stderr.write(`official host listening port=${server.address().port}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error) => {
  process.stderr.write(`official host: ${error?.stack ?? error}\n`);
  process.exit(1);
});
