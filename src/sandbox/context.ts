/**
 * What a route handler receives, and the route table type each area module exports.
 *
 * @module
 */

import type { IdSource } from "./ids.ts";
import type { SimulatorState } from "./state.ts";

/** Resolved simulator settings that handlers need. */
export interface SimSettings {
  podBootSeconds: { provisioning: number; starting: number };
}

/** Per-request context handed to route handlers. */
export interface Ctx {
  state: SimulatorState;
  ids: IdSource;
  settings: SimSettings;
  /** Simulator clock ms at the time the request is handled. */
  now: number;
  request: Request;
  /** Ends when the caller goes away (client abort, or the simulator's server closing). */
  signal: AbortSignal;
  url: URL;
  /** Query parameters (last value wins). */
  query: Record<string, string>;
  /** Path parameters, already URL-decoded. */
  params: Record<string, string>;
  /** Parsed JSON body, the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
  /** True when the body was present but not valid JSON. */
  bodyInvalid: boolean;
  /** Brings pods and jobs up to date with the clock (handlers call it after mutating). */
  settle(): void;
}

/** A route handler. */
export type Handler = (ctx: Ctx) => Response | Promise<Response>;

/** One route: a method and a path pattern whose `:name` segments become params. */
export interface Route {
  method: string;
  path: string;
  handler: Handler;
}

/** Result of matching a path against a route table. */
export type RouteMatch =
  | { kind: "found"; route: Route; params: Record<string, string> }
  | { kind: "method"; allow: string[] }
  | { kind: "none" };

/** Matches `method` + `segments` against `routes` (literal segments win over params). */
export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch {
  const segs = path.split("/").filter((s) => s !== "");
  const allow: string[] = [];
  let best: { route: Route; params: Record<string, string>; literals: number } | undefined;
  for (const route of routes) {
    const pat = route.path.split("/").filter((s) => s !== "");
    if (pat.length !== segs.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    let literals = 0;
    for (let i = 0; i < pat.length; i++) {
      const p = pat[i]!;
      const s = segs[i]!;
      if (p.startsWith(":")) {
        try {
          params[p.slice(1)] = decodeURIComponent(s);
        } catch {
          params[p.slice(1)] = s;
        }
      } else if (p === s) {
        literals++;
      } else {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    if (route.method !== method) {
      allow.push(route.method);
      continue;
    }
    if (!best || literals > best.literals) best = { route, params, literals };
  }
  if (best) return { kind: "found", route: best.route, params: best.params };
  if (allow.length > 0) return { kind: "method", allow: [...new Set(allow)] };
  return { kind: "none" };
}
