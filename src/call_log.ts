/**
 * Which MCP client a log event belongs to. A tool call or resource read runs inside
 * {@linkcode withCallLog}; the root logger's one sink looks the forwarder up here, so the events a
 * call causes (its own and the RunPod client's) reach the client that made it and no other.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import type { LoggingLevel } from "./deps.ts";

/** Sends one log event to an MCP client. */
export type LogForwarder = (level: LoggingLevel, data: unknown) => void;

const current = new AsyncLocalStorage<LogForwarder>();

/** Runs `fn` with `forward` as the destination of every log event it causes. */
export function withCallLog<T>(forward: LogForwarder, fn: () => T): T {
  return current.run(forward, fn);
}

/** The destination of the current call's log events, if a call is running. */
export function currentCallLog(): LogForwarder | undefined {
  return current.getStore();
}
