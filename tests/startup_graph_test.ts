/**
 * What a server evaluates before it answers `initialize` is what its cold start costs. These tests
 * walk `deno info --json main.ts` and check that the modules only some runs need are loaded on
 * demand (`await import(...)`), and that the MCP client package is not in the server's graph at
 * all. The bundle and the compiled binary are built from the same graph.
 */
import assert from "node:assert/strict";
import { run } from "./_spawn.ts";

interface GraphModule {
  specifier: string;
  dependencies?: { code?: { specifier?: string }; isDynamic?: boolean }[];
}

interface StartupGraph {
  /** Every module evaluated at start-up: the static imports reachable from main.ts. */
  atStart: Set<string>;
  /** Everything reachable at all, through static and dynamic imports. */
  reachable: Set<string>;
  /** Modules a start-up module imports with `await import(...)`. */
  onDemand: Set<string>;
}

async function startupGraph(): Promise<StartupGraph> {
  const info = await run(["info", "--json", "main.ts"]);
  assert.equal(info.code, 0, info.stderr);
  const graph = JSON.parse(info.stdout) as { roots: string[]; modules: GraphModule[] };
  const bySpecifier = new Map(graph.modules.map((m) => [m.specifier, m]));
  const edges = (specifier: string, dynamic: boolean | "any") =>
    (bySpecifier.get(specifier)?.dependencies ?? [])
      .filter((d) => d.code?.specifier && (dynamic === "any" || Boolean(d.isDynamic) === dynamic))
      .map((d) => d.code!.specifier!);
  const closure = (roots: string[], dynamic: boolean | "any") => {
    const seen = new Set<string>();
    const todo = [...roots];
    while (todo.length > 0) {
      const next = todo.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      todo.push(...edges(next, dynamic));
    }
    return seen;
  };
  const atStart = closure(graph.roots, false);
  return {
    atStart,
    reachable: closure(graph.roots, "any"),
    onDemand: new Set([...atStart].flatMap((s) => edges(s, true))),
  };
}

const graph = startupGraph();

/** Modules that only some runs need, each with a test of its own name. */
const LOADED_ON_DEMAND: { what: string; when: string; matches: (specifier: string) => boolean }[] =
  [
    {
      what: "the Redis client",
      when: "a --state-url is set",
      matches: (s) => s.endsWith("/src/state/redis.ts") || /^npm:\/?redis@/.test(s),
    },
    {
      what: "the simulator",
      when: "--sandbox is on",
      matches: (s) => s.includes("/src/sandbox/"),
    },
    {
      what: "the HTTP front door",
      when: "--http is on",
      matches: (s) => /\/src\/transports\/(http|mcp_http|legacy_http)\.ts$/.test(s),
    },
  ];

for (const { what, when, matches } of LOADED_ON_DEMAND) {
  Deno.test(`${what} is loaded only when ${when}, never at start-up`, async () => {
    const { atStart, onDemand } = await graph;
    assert.deepEqual([...atStart].filter(matches), [], `${what} is in the start-up graph`);
    assert.ok(
      [...onDemand].some(matches),
      `${what} is no longer imported on demand: did its import move, or its module?`,
    );
  });
}

Deno.test("the server's module graph has no MCP client: only tests and tools load deps_client.ts", async () => {
  const { reachable } = await graph;
  const client = [...reachable].filter((s) =>
    s.includes("@modelcontextprotocol/client") || s.endsWith("/src/deps_client.ts")
  );
  assert.deepEqual(client, []);
  // The walk itself sees npm packages: the server package is there.
  assert.ok([...reachable].some((s) => s.includes("@modelcontextprotocol/server")));
});
