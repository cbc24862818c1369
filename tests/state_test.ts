/**
 * One behavioural suite for both SharedState implementations (memory, and Redis against a real
 * redis-server), then what only Redis can show: two replicas (two RedisState instances on one
 * server) agreeing on claims, locks, holds, the spend cap and confirmation tokens.
 */
import assert from "node:assert/strict";
import { createClient } from "redis";
import { type BurnFigure, SpendLedger } from "../src/policy/burn.ts";
import { issueToken, redeemToken, setTokenSecret } from "../src/policy/confirm.ts";
import { MemoryState, openState, type SharedState } from "../src/state/mod.ts";
import { RedisState } from "../src/state/redis.ts";
import { NEEDS_REDIS, type RedisServer, startRedis } from "./_redis.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise and the function that resolves it, so a test decides when a section ends. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

interface Opened extends AsyncDisposable {
  state: SharedState;
}

async function openRedis(): Promise<Opened & { server: RedisServer }> {
  const server = await startRedis();
  try {
    const state = await RedisState.connect(server.url);
    return {
      state,
      server,
      async [Symbol.asyncDispose]() {
        await state.close();
        await server.close();
      },
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}

const IMPLEMENTATIONS: {
  kind: string;
  open: () => Promise<Opened>;
  options: { ignore?: boolean };
}[] = [
  {
    kind: "memory",
    options: {},
    open: () => {
      const state = new MemoryState();
      return Promise.resolve({ state, [Symbol.asyncDispose]: () => state.close() });
    },
  },
  { kind: "redis", open: openRedis, options: NEEDS_REDIS },
];

// ---------------------------------------------------------------------------------------------
// The suite both implementations pass

for (const { kind, open, options } of IMPLEMENTATIONS) {
  Deno.test(
    `${kind}: claimOnce has exactly one winner among 50 parallel claims`,
    options,
    async () => {
      await using s = await open();
      assert.equal(s.state.kind, kind);
      const claims = await Promise.all(
        Array.from({ length: 50 }, () => s.state.claimOnce("token:abc", 60_000)),
      );
      assert.equal(claims.filter((won) => won).length, 1);
      assert.equal(await s.state.claimOnce("token:abc", 60_000), false, "a later claim too");
      assert.equal(await s.state.claimOnce("token:other", 60_000), true, "keys are independent");
    },
  );

  Deno.test(
    `${kind}: a claim expires after its ttl and can be claimed again`,
    options,
    async () => {
      await using s = await open();
      assert.equal(await s.state.claimOnce("short", 300), true);
      assert.equal(await s.state.claimOnce("short", 300), false);
      await sleep(600);
      assert.equal(await s.state.claimOnce("short", 300), true);
      await assert.rejects(s.state.claimOnce("bad", 0), /not a duration/);
    },
  );

  Deno.test(
    `${kind}: hit counts every request of a fixed window, in parallel too`,
    options,
    async () => {
      await using s = await open();
      const hits = await Promise.all(
        Array.from({ length: 20 }, () => s.state.hit("ip:1", 60_000)),
      );
      assert.deepEqual(
        hits.map((h) => h.count).sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      for (const h of hits) assert.ok(h.resetInMs >= 1 && h.resetInMs <= 60_000, `${h.resetInMs}`);
      assert.equal((await s.state.hit("ip:2", 60_000)).count, 1, "keys are independent");
    },
  );

  Deno.test(`${kind}: hit starts a new window after the old one ends`, options, async () => {
    await using s = await open();
    assert.equal((await s.state.hit("ip:1", 300)).count, 1);
    assert.equal((await s.state.hit("ip:1", 300)).count, 2);
    await sleep(600);
    const fresh = await s.state.hit("ip:1", 300);
    assert.equal(fresh.count, 1);
    assert.ok(fresh.resetInMs >= 1 && fresh.resetInMs <= 300, `${fresh.resetInMs}`);
  });

  Deno.test(`${kind}: withLock never lets two critical sections overlap`, options, async () => {
    await using s = await open();
    let inside = 0;
    let mostAtOnce = 0;
    const results = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) =>
          s.state.withLock("spend:acct", 10_000, 10_000, async () => {
            inside++;
            mostAtOnce = Math.max(mostAtOnce, inside);
            await sleep(1);
            inside--;
            return i;
          }),
      ),
    );
    assert.equal(mostAtOnce, 1);
    assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i));
  });

  Deno.test(
    `${kind}: withLock times out with an error naming the lock, and frees it after a throw`,
    options,
    async () => {
      await using s = await open();
      const held = gate();
      const holder = s.state.withLock("busy", 10_000, 1_000, () => held.promise);
      await sleep(20);
      let ran = false;
      await assert.rejects(
        s.state.withLock("busy", 10_000, 50, () => Promise.resolve(ran = true)),
        /Cannot take the lock "busy": another caller still held it after waiting \d+ ms/,
      );
      assert.equal(ran, false);
      assert.equal(
        await s.state.withLock("other", 10_000, 50, () => Promise.resolve("free")),
        "free",
      );
      held.open();
      await holder;

      await assert.rejects(
        s.state.withLock("busy", 10_000, 1_000, () => Promise.reject(new Error("boom"))),
        /boom/,
      );
      assert.equal(await s.state.withLock("busy", 10_000, 1_000, () => Promise.resolve(1)), 1);
    },
  );

  Deno.test(
    `${kind}: a lock outlived by its holder passes on, and the late holder cannot free it`,
    options,
    async () => {
      await using s = await open();
      const first = gate();
      const stuck = s.state.withLock("l", 50, 1_000, () => first.promise);
      await sleep(10);
      const second = gate();
      let secondIn = false;
      const next = s.state.withLock("l", 10_000, 5_000, () => {
        secondIn = true;
        return second.promise;
      });
      while (!secondIn) await sleep(10);
      first.open();
      await stuck; // its release must not free the lock the second caller now holds
      await assert.rejects(s.state.withLock("l", 10_000, 100, () => Promise.resolve()), /"l"/);
      second.open();
      await next;
    },
  );

  Deno.test(`${kind}: holds add, replace, remove, expire and sum per scope`, options, async () => {
    await using s = await open();
    const { state } = s;
    assert.equal(await state.sumHolds("acct"), 0);
    await state.addHold("acct", "a", 0.5, 60_000);
    await state.addHold("acct", "b", 0.25, 60_000);
    await state.addHold("other", "a", 8, 60_000);
    assert.equal(await state.sumHolds("acct"), 0.75);
    await state.addHold("acct", "a", 1, 60_000);
    assert.equal(await state.sumHolds("acct"), 1.25, "same id replaces");
    await state.removeHold("acct", "b");
    await state.removeHold("acct", "missing");
    assert.equal(await state.sumHolds("acct"), 1);
    await state.addHold("acct", "brief", 2, 300);
    assert.equal(await state.sumHolds("acct"), 3);
    await sleep(600);
    assert.equal(await state.sumHolds("acct"), 1, "the expired hold no longer counts");
    assert.equal(await state.sumHolds("other"), 8);
    await assert.rejects(state.addHold("acct", "x", Number.NaN, 1_000), /not a finite number/);
  });

  Deno.test(`${kind}: close releases everything and later calls reject`, options, async () => {
    await using s = await open();
    await s.state.claimOnce("k", 60_000);
    await s.state.close();
    await s.state.close(); // twice is fine
    await assert.rejects(s.state.claimOnce("k", 60_000), /Cannot claim a key/);
    await assert.rejects(s.state.sumHolds("acct"), /Cannot sum holds/);
  });
}

// ---------------------------------------------------------------------------------------------
// Two replicas on one redis-server

/** Two RedisState instances on one server, as two replicas would have. */
async function twoReplicas() {
  const server = await startRedis();
  const a = await RedisState.connect(server.url);
  const b = await RedisState.connect(server.url);
  return {
    server,
    a,
    b,
    async [Symbol.asyncDispose]() {
      await a.close();
      await b.close();
      await server.close();
    },
  };
}

Deno.test("replicas: a key claimed through one is refused by the other", NEEDS_REDIS, async () => {
  await using r = await twoReplicas();
  assert.equal(await r.a.claimOnce("token:t1", 60_000), true);
  assert.equal(await r.b.claimOnce("token:t1", 60_000), false);
  const both = await Promise.all(
    Array.from({ length: 20 }, (_, i) => (i % 2 ? r.a : r.b).claimOnce("token:t2", 60_000)),
  );
  assert.equal(both.filter((won) => won).length, 1);
});

Deno.test("replicas: a lock held by one blocks the other until released", NEEDS_REDIS, async () => {
  await using r = await twoReplicas();
  const held = gate();
  let aIn = false;
  const holder = r.a.withLock("spend:acct", 10_000, 1_000, () => {
    aIn = true;
    return held.promise;
  });
  while (!aIn) await sleep(5);
  await assert.rejects(
    r.b.withLock("spend:acct", 10_000, 100, () => Promise.resolve()),
    /Cannot take the lock "spend:acct"/,
  );
  held.open();
  await holder;
  assert.equal(await r.b.withLock("spend:acct", 10_000, 1_000, () => Promise.resolve("b")), "b");

  let inside = 0;
  let mostAtOnce = 0;
  await Promise.all(
    Array.from(
      { length: 10 },
      (_, i) =>
        (i % 2 ? r.a : r.b).withLock("spend:acct", 10_000, 10_000, async () => {
          inside++;
          mostAtOnce = Math.max(mostAtOnce, inside);
          await sleep(2);
          inside--;
        }),
    ),
  );
  assert.equal(mostAtOnce, 1);
});

Deno.test(
  "replicas: holds added by one are summed, and removed, by the other",
  NEEDS_REDIS,
  async () => {
    await using r = await twoReplicas();
    await r.a.addHold("acct", "a1", 0.5, 60_000);
    await r.b.addHold("acct", "b1", 0.25, 60_000);
    assert.equal(await r.b.sumHolds("acct"), 0.75);
    await r.b.removeHold("acct", "a1");
    assert.equal(await r.a.sumHolds("acct"), 0.25);
  },
);

Deno.test("replicas: different key prefixes do not share state", NEEDS_REDIS, async () => {
  await using server = await openRedis();
  const other = await RedisState.connect(server.server.url, { prefix: "other-app:" });
  try {
    assert.equal(await server.state.claimOnce("k", 60_000), true);
    assert.equal(await other.claimOnce("k", 60_000), true);
  } finally {
    await other.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Connecting, and failing closed

/** A loopback port with nothing listening. */
function deadPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("an unreachable Redis fails with a clear error that hides the password", async () => {
  const port = deadPort();
  const url = `redis://operator:hunter2-very-secret@127.0.0.1:${port}/0`;
  for (const connect of [() => RedisState.connect(url), () => openState(url)]) {
    const error = await connect().then(() => undefined, (e: Error) => e);
    assert.ok(error instanceof Error, "connecting must fail");
    assert.match(
      error.message,
      new RegExp(`^Cannot connect to the shared state at redis://127\\.0\\.0\\.1:${port}: .+`),
    );
    assert.match(error.message, /--state-url \(env RUNPOD_MCP_STATE_URL\)/);
    assert.doesNotMatch(error.message, /hunter2|operator/);
  }
});

Deno.test(
  "a wrong Redis password fails with a clear error that hides it",
  NEEDS_REDIS,
  async () => {
    await using s = await openRedis();
    const admin = createClient({ url: s.server.url });
    await admin.connect();
    await admin.configSet("requirepass", "the-right-password");
    await admin.close();
    const url = `redis://:the-wrong-password@127.0.0.1:${s.server.port}`;
    const error = await RedisState.connect(url).then(() => undefined, (e: Error) => e);
    assert.ok(error instanceof Error);
    assert.match(
      error.message,
      /^Cannot connect to the shared state at redis:\/\/127\.0\.0\.1:\d+: /,
    );
    assert.doesNotMatch(error.message, /the-wrong-password|the-right-password/);
    const good = await RedisState.connect(`redis://:the-right-password@127.0.0.1:${s.server.port}`);
    assert.equal(await good.claimOnce("k", 60_000), true);
    await good.close();
  },
);

Deno.test(
  "when Redis goes away, calls reject promptly instead of hanging",
  NEEDS_REDIS,
  async () => {
    const server = await startRedis();
    const state = await RedisState.connect(server.url, { commandTimeoutMs: 1_000 });
    try {
      assert.equal(await state.claimOnce("k", 60_000), true);
      await server.close();
      await assert.rejects(state.claimOnce("k2", 60_000), /Cannot claim a key: the shared state/);
      await assert.rejects(state.sumHolds("acct"), /is unavailable/);
      await assert.rejects(
        state.withLock("spend:acct", 10_000, 10_000, () => Promise.resolve()),
        /Cannot take the lock "spend:acct": the shared state at redis:\/\/127\.0\.0\.1:\d+ is unavailable/,
      );
    } finally {
      await state.close();
    }
  },
);

Deno.test(
  "when Redis stops answering, calls time out and work again once it answers",
  NEEDS_REDIS,
  async () => {
    await using s = await openRedis();
    const state = await RedisState.connect(s.server.url, { commandTimeoutMs: 200 });
    try {
      assert.equal(await state.claimOnce("k", 60_000), true);
      s.server.pause();
      await assert.rejects(state.claimOnce("k2", 60_000), /Cannot claim a key: .*is unavailable/);
      s.server.resume();
      assert.equal(await state.claimOnce("k3", 60_000), true);
      assert.equal(await state.claimOnce("k2", 60_000), false, "the timed-out claim still landed");
    } finally {
      await state.close();
    }
  },
);

Deno.test("connecting to something that never answers gives up after the connect timeout", async () => {
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) accepted.push(conn);
  })();
  const { port } = silent.addr as Deno.NetAddr;
  try {
    await assert.rejects(
      RedisState.connect(`redis://:pw-in-url@127.0.0.1:${port}`, { connectTimeoutMs: 200 }),
      (e: Error) =>
        e.message.startsWith(`Cannot connect to the shared state at redis://127.0.0.1:${port}: `) &&
        !e.message.includes("pw-in-url"),
    );
  } finally {
    silent.close();
    await accepting;
    for (const conn of accepted) conn.close();
  }
});

Deno.test(
  "openState: memory when unset, Redis for redis://, a clear refusal otherwise",
  NEEDS_REDIS,
  async () => {
    const memory = await openState(undefined);
    assert.equal(memory.kind, "memory");
    await memory.close();
    await assert.rejects(
      openState("http://x"),
      /^Error: Cannot open the shared state: the scheme "http:" is not supported. Use redis:\/\/host:port or rediss:\/\/host:port \(--state-url, env RUNPOD_MCP_STATE_URL\)/,
    );
    await assert.rejects(openState("not a url"), /redis:\/\/.*rediss:\/\/.*--state-url/);
    await using s = await openRedis();
    const redis = await openState(s.server.url);
    assert.equal(redis.kind, "redis");
    await redis.close();
  },
);

// ---------------------------------------------------------------------------------------------
// The spend ledger across replicas

function figure(usdPerHour: number): BurnFigure {
  return { usdPerHour, complete: true, missing: [] };
}

/** A burn read that takes a moment, so parallel reservations really interleave. */
async function slowBurn(): Promise<BurnFigure> {
  await sleep(1);
  return figure(0.2);
}

Deno.test(
  "replicas: two SpendLedgers on two RedisStates cannot together exceed the cap",
  NEEDS_REDIS,
  async () => {
    await using r = await twoReplicas();
    const one = new SpendLedger({ state: r.a, scope: "acct" });
    const two = new SpendLedger({ state: r.b, scope: "acct" });
    // 0.2 + 4 × 0.44 = 1.96 is exactly the cap; a fifth would be 2.40.
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? one : two).reserve(0.44, 1.96, slowBurn)),
    );
    assert.equal(results.filter((x) => x.ok).length, 4);
    assert.equal(await r.a.sumHolds("acct"), 1.76);
    for (const refused of results.filter((x) => !x.ok)) {
      assert.equal(!refused.ok && refused.reason, "over-cap");
      assert.equal(!refused.ok && refused.reservedUsdPerHour, 1.76, "both replicas' holds count");
    }
    for (const x of results) if (x.ok) x.reservation.release();
    while (await r.b.sumHolds("acct") > 0) await sleep(5);
    assert.equal((await two.reserve(0.44, 1.96, slowBurn)).ok, true, "released shares fit again");
  },
);

Deno.test(
  "SpendLedger on a shared state refuses, state-unavailable, when Redis is down",
  NEEDS_REDIS,
  async () => {
    const server = await startRedis();
    const state = await RedisState.connect(server.url, { commandTimeoutMs: 1_000 });
    try {
      await server.close();
      let reads = 0;
      const ledger = new SpendLedger({ state, scope: "acct" });
      const result = await ledger.reserve(0.1, 100, () => {
        reads++;
        return Promise.resolve(figure(0));
      });
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.reason, "state-unavailable");
      assert.match(!result.ok && result.detail || "", /is unavailable/);
      assert.equal(reads, 1, "the refusal still carries the burn");
      assert.equal(ledger.reservedUsdPerHour, 0);
    } finally {
      await state.close();
    }
  },
);

Deno.test("SpendLedger on a shared state refuses when the spend lock stays busy", async () => {
  await using s = { state: new MemoryState(), [Symbol.asyncDispose]: () => s.state.close() };
  const ledger = new SpendLedger({ state: s.state, scope: "acct", lockWaitMs: 50 });
  const held = gate();
  const other = s.state.withLock("spend:acct", 10_000, 1_000, () => held.promise);
  const result = await ledger.reserve(0.1, 100, () => Promise.resolve(figure(0)));
  assert.equal(!result.ok && result.reason, "state-unavailable");
  assert.match(!result.ok && result.detail || "", /Cannot take the lock "spend:acct"/);
  held.open();
  await other;
});

Deno.test("SpendLedger on a shared state: a burn read failure rejects, a dead replica's hold expires", async () => {
  await using s = { state: new MemoryState(), [Symbol.asyncDispose]: () => s.state.close() };
  const ledger = new SpendLedger({ state: s.state, scope: "acct", holdTtlMs: 300 });
  await assert.rejects(
    ledger.reserve(0.5, 1, () => Promise.reject(new Error("listPods failed"))),
    /listPods failed/,
  );
  const kept = await ledger.reserve(0.5, 1, () => Promise.resolve(figure(0)));
  assert.ok(kept.ok); // never released, as if its replica died
  const second = new SpendLedger({ state: s.state, scope: "acct" });
  assert.equal((await second.reserve(0.75, 1, () => Promise.resolve(figure(0)))).ok, false);
  await sleep(600);
  assert.equal((await second.reserve(0.75, 1, () => Promise.resolve(figure(0)))).ok, true);
});

// ---------------------------------------------------------------------------------------------
// Confirmation tokens across replicas

const SECRET = "a shared secret of more than thirty-two bytes";

Deno.test("setTokenSecret refuses a short secret without repeating it", () => {
  assert.throws(
    () => setTokenSecret("short-secret"),
    (e: Error) =>
      /at least 32 are needed/.test(e.message) && /RUNPOD_MCP_TOKEN_SECRET/.test(e.message) &&
      !e.message.includes("short-secret"),
  );
  assert.throws(() => setTokenSecret(new Uint8Array(31)), /31 bytes/);
});

Deno.test(
  "replicas: a token issued by one is accepted once, then refused by another",
  NEEDS_REDIS,
  async () => {
    await using r = await twoReplicas();
    const claimA = (key: string, ttl: number) => r.a.claimOnce(key, ttl);
    const claimB = (key: string, ttl: number) => r.b.claimOnce(key, ttl);
    const args = { name: "trainer", gpu_type: "RTX 4090" };
    const now = Date.now();
    setTokenSecret(SECRET);
    const token = await issueToken("create_pod", args, now);
    setTokenSecret(new TextEncoder().encode(SECRET)); // the other replica, same secret as bytes
    assert.equal(await redeemToken(token, "create_pod", args, now, claimB), "ok");
    assert.equal(await redeemToken(token, "create_pod", args, now, claimA), "used");
    assert.equal(await redeemToken(token, "create_pod", args, now, claimB), "used");

    const racing = await issueToken("create_pod", args, now);
    const verdicts = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) => redeemToken(racing, "create_pod", args, now, i % 2 ? claimA : claimB),
      ),
    );
    assert.equal(verdicts.filter((v) => v === "ok").length, 1);
    assert.equal(verdicts.filter((v) => v === "used").length, 9);

    const third = await issueToken("create_pod", args, now);
    setTokenSecret("another secret, also longer than 32 bytes");
    assert.equal(await redeemToken(third, "create_pod", args, now, claimA), "mismatch");
    const fresh = await issueToken("create_pod", args, now);
    assert.equal(await redeemToken(fresh, "create_pod", args, now, claimA), "ok");
  },
);
