/**
 * The pod watcher behind `resources/subscribe`: one timer for every subscribed pod, running only
 * while at least one subscription exists, that reports when a pod's status changes or the pod
 * disappears.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import { getPod, RunpodApiError, type RunpodClient } from "../runpod/mod.ts";

/** Default time between two polls of the subscribed pods, ms. */
export const DEFAULT_POLL_INTERVAL_MS = 15_000;

/** The shortest poll interval allowed, ms, so subscriptions cannot hammer RunPod's rate limit. */
export const MIN_POLL_INTERVAL_MS = 2_000;

/** Most pods watched at once; each poll sends one request per watched pod. */
export const MAX_WATCHED_PODS = 50;

/** Options for {@linkcode PodWatcher}. */
export interface PodWatcherOptions {
  runpod: RunpodClient;
  logger: Logger;
  /** Time between polls, ms; clamped to at least {@linkcode MIN_POLL_INTERVAL_MS}. */
  intervalMs?: number;
  /** Called with a subscription's key when its pod changed status or disappeared. */
  onChange(key: string): Promise<void>;
}

interface Watched {
  podId: string;
  /** Last status seen; null once the pod is gone (404), after which it is not polled again. */
  status: string | null;
}

/** Watches subscribed pods with one shared interval timer. */
export class PodWatcher {
  readonly #options: PodWatcherOptions;
  readonly #intervalMs: number;
  readonly #watched = new Map<string, Watched>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #tick: Promise<void> | undefined;
  #abort = new AbortController();
  #closed = false;

  /** Creates a watcher; nothing runs until the first {@linkcode PodWatcher.subscribe}. */
  constructor(options: PodWatcherOptions) {
    this.#options = options;
    this.#intervalMs = Math.max(
      MIN_POLL_INTERVAL_MS,
      options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    );
  }

  /** The poll interval in use, ms. */
  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** How many subscriptions are active. */
  get size(): number {
    return this.#watched.size;
  }

  /**
   * Starts watching `podId` under `key`. Reads the pod once for the status later polls compare
   * with, so an unknown pod fails here with RunPod's 404. Subscribing twice is a no-op.
   */
  async subscribe(key: string, podId: string, signal?: AbortSignal): Promise<void> {
    if (this.#closed) throw new Error("Cannot subscribe: the resource watcher is closed");
    if (this.#watched.has(key)) return;
    if (this.#watched.size >= MAX_WATCHED_PODS) {
      throw new RangeError(
        `Cannot subscribe to ${key}: at most ${MAX_WATCHED_PODS} pods can be watched at once; unsubscribe from one first`,
      );
    }
    const pod = await getPod(this.#options.runpod, podId, signal);
    if (this.#closed || this.#watched.has(key)) return;
    this.#watched.set(key, { podId, status: pod.status });
    this.#timer ??= setInterval(() => {
      this.pollOnce().catch((error) => this.#warn("pod watch poll failed", podId, error));
    }, this.#intervalMs);
  }

  /** Stops watching `key`; the timer stops with the last subscription. Unknown keys are ignored. */
  unsubscribe(key: string): void {
    this.#watched.delete(key);
    if (this.#watched.size === 0) this.#stopTimer();
  }

  /**
   * Polls every watched pod once now and reports those whose status changed. A poll already
   * under way is shared rather than doubled. With no subscriptions it sends nothing.
   */
  pollOnce(): Promise<void> {
    if (this.#watched.size === 0) return Promise.resolve();
    this.#tick ??= this.#poll().finally(() => {
      this.#tick = undefined;
    });
    return this.#tick;
  }

  /** Drops every subscription and stops the timer; the watcher can be subscribed to again. */
  reset(): void {
    this.#watched.clear();
    this.#stopTimer();
    this.#abort.abort(new Error("resource subscriptions reset"));
    this.#abort = new AbortController();
  }

  /** Drops every subscription, stops the timer and refuses new subscriptions. */
  close(): void {
    this.#closed = true;
    this.reset();
  }

  async #poll(): Promise<void> {
    const signal = this.#abort.signal;
    for (const [key, watched] of [...this.#watched]) {
      if (signal.aborted) return;
      if (watched.status === null) continue;
      let status: string | null;
      try {
        status = (await getPod(this.#options.runpod, watched.podId, signal)).status;
      } catch (error) {
        if (error instanceof RunpodApiError && error.status === 404) status = null;
        else {
          if (!signal.aborted) this.#warn("pod watch poll failed", watched.podId, error);
          continue;
        }
      }
      // Unsubscribed (or resubscribed) while the request was out: that subscription decides.
      if (this.#watched.get(key) !== watched || status === watched.status) continue;
      watched.status = status;
      try {
        await this.#options.onChange(key);
      } catch (error) {
        this.#warn("cannot send resource update", watched.podId, error);
      }
    }
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #warn(message: string, podId: string, error: unknown): void {
    this.#options.logger.warn(message, {
      pod: podId,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }
}
