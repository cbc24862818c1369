/**
 * A TCP proxy for tests that need a connection to die at a precise moment, which `Deno.serve`
 * cannot do: it always answers. The proxy sits between the RunPod client and the simulator on
 * 127.0.0.1:0, forwards bytes both ways, and reads just enough HTTP/1.1 (request lines and
 * `Content-Length`) to know which request is in flight on each connection.
 *
 * A scripted drop closes the client's side of the connection either before the request is
 * forwarded (RunPod never saw it) or after the simulator has handled it but before any response
 * byte reaches the client (RunPod acted; the reply is lost). The second is also how a reused
 * keep-alive connection dies under a client that silently re-sends.
 *
 * @module
 */

/** When a scripted drop closes the client's connection. */
export type DropWhen =
  /** Before any byte of the request reaches the simulator. */
  | "before-upstream"
  /** After the simulator answered (so it handled the request), before the client gets a byte. */
  | "after-upstream";

/** A scripted drop for the next request(s) that match. */
export interface DropRule {
  method: string;
  /** Exact path without the query, or a pattern tested against it. */
  path: string | RegExp;
  when: DropWhen;
  /** How many matching requests to drop, default 1. */
  times?: number;
}

/** One request line the proxy saw from a client, in order. */
export interface ProxiedRequest {
  method: string;
  path: string;
  /** Which client connection carried it, counting from 1. */
  connection: number;
  /** True when the proxy dropped the connection for it. */
  dropped: boolean;
}

/** A running proxy; see {@linkcode startTcpProxy}. */
export interface TcpProxy {
  /** Base URL to point the client at, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Every request seen, in order. */
  requests: ProxiedRequest[];
  /** Client connections accepted so far. */
  readonly connections: number;
  /** Queues a drop. */
  drop(rule: DropRule): void;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1:0 in front of `target`, e.g. `http://127.0.0.1:40000`. */
export function startTcpProxy(target: string): TcpProxy {
  const upstream = new URL(target);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const rules: { rule: DropRule; remaining: number }[] = [];
  const requests: ProxiedRequest[] = [];
  const open = new Set<Deno.Conn>();
  const pumps: Promise<void>[] = [];
  let connections = 0;

  const takeRule = (method: string, path: string): DropRule | undefined => {
    const i = rules.findIndex(({ rule }) =>
      rule.method.toUpperCase() === method &&
      (typeof rule.path === "string" ? rule.path === path : rule.path.test(path))
    );
    const entry = rules[i];
    if (!entry) return undefined;
    if (--entry.remaining <= 0) rules.splice(i, 1);
    return entry.rule;
  };

  const serve = async (client: Deno.Conn, id: number) => {
    let server: Deno.Conn;
    try {
      server = await Deno.connect({ hostname: upstream.hostname, port: Number(upstream.port) });
    } catch {
      closeQuietly(client, open);
      return;
    }
    open.add(server);
    let dropOnReply = false;
    const hangUp = () => {
      closeQuietly(client, open);
      closeQuietly(server, open);
    };
    const parser = new RequestSplitter((method, path) => {
      const rule = takeRule(method, path);
      requests.push({ method, path, connection: id, dropped: rule !== undefined });
      if (rule?.when === "after-upstream") dropOnReply = true;
      return rule?.when === "before-upstream";
    });
    const toServer = (async () => {
      const buffer = new Uint8Array(64 * 1024);
      try {
        for (;;) {
          const n = await client.read(buffer);
          if (n === null) break;
          const { forward, hangUp: stop } = parser.push(buffer.subarray(0, n));
          if (forward.length > 0) await writeAll(server, forward);
          if (stop) break;
        }
      } catch {
        // Either side went away; the connection ends below.
      }
      hangUp();
    })();
    const toClient = (async () => {
      const buffer = new Uint8Array(64 * 1024);
      try {
        for (;;) {
          const n = await server.read(buffer);
          if (n === null) break;
          // The simulator has answered, so it handled the request: lose the reply.
          if (dropOnReply) break;
          await writeAll(client, buffer.subarray(0, n));
        }
      } catch {
        // As above.
      }
      hangUp();
    })();
    await Promise.all([toServer, toClient]);
  };

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        open.add(conn);
        connections++;
        pumps.push(serve(conn, connections));
      }
    } catch {
      // The listener was closed.
    }
  })();

  const address = listener.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    get connections() {
      return connections;
    },
    drop(rule) {
      rules.push({ rule, remaining: rule.times ?? 1 });
    },
    async close() {
      listener.close();
      await accepting;
      for (const conn of [...open]) closeQuietly(conn, open);
      await Promise.all(pumps);
    },
  };
}

/**
 * Splits a client's byte stream into HTTP/1.1 requests (head, then `Content-Length` bytes) and
 * reports each request line. A head is held back until it is complete, so a request dropped
 * before upstream never reaches the simulator at all. Chunked request bodies are not needed: the
 * RunPod client sends JSON strings, which always carry a length.
 */
class RequestSplitter {
  #head: number[] = [];
  #bodyLeft = 0;
  #onRequest: (method: string, path: string) => boolean;

  /** `onRequest` returns true to hang up instead of forwarding the request. */
  constructor(onRequest: (method: string, path: string) => boolean) {
    this.#onRequest = onRequest;
  }

  /** Takes a chunk; returns the bytes to forward and whether to hang up after them. */
  push(chunk: Uint8Array): { forward: Uint8Array; hangUp: boolean } {
    const forward: number[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (this.#bodyLeft > 0) {
        forward.push(byte);
        this.#bodyLeft--;
        continue;
      }
      this.#head.push(byte);
      if (!endsWithBlankLine(this.#head)) continue;
      // Header bytes are ASCII.
      const head = String.fromCharCode(...this.#head);
      const [method = "", target = ""] = (head.split("\r\n")[0] ?? "").split(" ");
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
      if (this.#onRequest(method.toUpperCase(), target.split("?")[0] ?? target)) {
        return { forward: Uint8Array.from(forward), hangUp: true };
      }
      forward.push(...this.#head);
      this.#head = [];
      this.#bodyLeft = length ? Number(length) : 0;
    }
    return { forward: Uint8Array.from(forward), hangUp: false };
  }
}

function endsWithBlankLine(bytes: number[]): boolean {
  const n = bytes.length;
  return n >= 4 && bytes[n - 4] === 13 && bytes[n - 3] === 10 && bytes[n - 2] === 13 &&
    bytes[n - 1] === 10;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

function closeQuietly(conn: Deno.Conn, open: Set<Deno.Conn>): void {
  if (!open.delete(conn)) return;
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
