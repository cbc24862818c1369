/**
 * The two ways of serving the app, behind one small interface that `cli.ts` picks from the
 * config: stdio (one client, the default) and Streamable HTTP (`--http`, a team's server).
 *
 * @module
 */

import type { HttpConfig } from "../config.ts";
import type { McpRequestContext } from "../deps.ts";
import type { Logger } from "../log.ts";
import { SpendLedger } from "../policy/burn.ts";
import { setTokenSecret } from "../policy/confirm.ts";
import type { RunpodClient } from "../runpod/mod.ts";
import type { McpApp, ServerDeps, ServerOptions } from "../server.ts";
import { openState } from "../state/mod.ts";
import type { SharedState } from "../state/types.ts";
import { serveStdio } from "./stdio.ts";

/** One way of serving the app. */
export interface ServingTransport {
  /** What logs call it. */
  readonly name: "stdio" | "streamable-http";
  /** What the app needs from this transport beyond RunPod and the logger. */
  readonly deps: Pick<ServerDeps, "callerAccount">;
  /** The shared-state hooks the app's guard uses (HTTP); none for stdio. */
  readonly options: Pick<ServerOptions, "ledgerFor" | "claimToken">;
  /** Serves until the client goes away (stdio) or the server has drained (HTTP). */
  serve(app: McpApp): Promise<void>;
}

/** Serves one client on stdin/stdout. */
export function stdioTransport(logger: Logger): ServingTransport {
  return {
    name: "stdio",
    deps: {},
    options: {},
    serve: async (app) => {
      await serveStdio(app.factory, logger, app.listenOpened ? { onListen: app.listenOpened } : {});
      logger.info("runpod-mcp stopped: stdin closed");
    },
  };
}

/** What {@linkcode httpTransport} needs besides the HTTP settings. */
export interface HttpTransportOptions {
  logger: Logger;
  version: string;
  sandbox: boolean;
  /** `--state-url`; undefined keeps the shared state in this process. */
  stateUrl?: string;
  /** `RUNPOD_MCP_TOKEN_SECRET`; undefined signs with a key random to this process. */
  tokenSecret?: string;
  /** The RunPod client for a caller's own key (bring-your-own-key mode). */
  clientForKey(key: string): RunpodClient;
}

/**
 * What the guard keeps in the shared state: one spend ledger per account scope (the total cap's
 * in-flight holds) and the single use of each confirmation token.
 */
export function sharedStateHooks(
  state: SharedState,
): Required<Pick<ServerOptions, "ledgerFor" | "claimToken">> {
  const ledgers = new Map<string, SpendLedger>();
  return {
    ledgerFor: (scope) => {
      let ledger = ledgers.get(scope);
      if (!ledger) ledgers.set(scope, ledger = new SpendLedger({ state, scope }));
      return ledger;
    },
    claimToken: (key, ttlMs) => state.claimOnce(key, ttlMs),
  };
}

/**
 * Bring-your-own-key mode: the caller's RunPod account for one request, from the bearer the
 * front door passed on as `authInfo.token`; its scope is the bearer's hash (`clientId`).
 */
export function callerAccountFrom(
  clientForKey: (key: string) => RunpodClient,
): NonNullable<ServerDeps["callerAccount"]> {
  return (ctx: McpRequestContext) => {
    const key = ctx.authInfo?.token;
    if (!key) return undefined;
    return { runpod: clientForKey(key), key, scope: ctx.authInfo?.clientId ?? "anonymous" };
  };
}

/** How long in-flight calls get to finish after SIGTERM or SIGINT, ms. */
export const DRAIN_GRACE_MS = 30_000;

/**
 * Serves MCP over Streamable HTTP, with its shared state opened (Redis with `--state-url`) and
 * the confirmation key set, until SIGTERM or SIGINT drains it. The HTTP front door's modules are
 * loaded here, so a stdio server never evaluates them.
 */
export async function httpTransport(
  http: HttpConfig,
  options: HttpTransportOptions,
): Promise<ServingTransport> {
  const { logger } = options;
  const [{ drainOnSignals }, { serveMcpHttp }] = await Promise.all([
    import("./http.ts"),
    import("./mcp_http.ts"),
  ]);
  const state = await openState(options.stateUrl);
  if (options.tokenSecret) setTokenSecret(options.tokenSecret);
  else {
    logger.warn(
      "confirmation tokens are signed with a key random to this process: a token minted by another replica, or before a restart, is refused; set RUNPOD_MCP_TOKEN_SECRET on every replica to share one",
    );
  }
  if (state.kind === "memory") {
    logger.warn(
      "shared state is per process (no --state-url): with several replicas, a confirmation token could be spent once per replica, spend holds and rate limits are not shared; run one replica or set --state-url redis://…",
    );
  }
  return {
    name: "streamable-http",
    deps: http.auth === "runpod-key"
      ? { callerAccount: callerAccountFrom(options.clientForKey) }
      : {},
    options: sharedStateHooks(state),
    serve: async (app) => {
      const { server, close } = serveMcpHttp({
        factory: app.factory,
        bus: app.bus,
        http,
        state,
        logger,
        version: options.version,
        sandbox: options.sandbox,
      });
      drainOnSignals(server, logger, DRAIN_GRACE_MS);
      await server.finished;
      await close();
      await state.close();
      logger.info("runpod-mcp stopped: drained");
    },
  };
}
