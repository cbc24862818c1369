/**
 * Pod status changes for 2026-era clients. They listen with `subscriptions/listen`, naming the
 * `runpod://pods/{pod_id}` URIs they want; the serving entry keeps the streams and filters what is
 * published by URI. The server does not see those filters, so while at least one stream is open
 * the feed lists the account's pods once per interval (one request, however many pods are
 * watched) and publishes every pod whose status changed or that disappeared.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import { listPods, type RunpodClient } from "../runpod/mod.ts";
import { DEFAULT_POLL_INTERVAL_MS, MIN_POLL_INTERVAL_MS } from "./_watch.ts";

/** Options for {@linkcode PodStatusFeed}. */
export interface PodStatusFeedOptions {
  runpod: RunpodClient;
  logger: Logger;
  /** Time between polls while a stream is open, ms; at least {@linkcode MIN_POLL_INTERVAL_MS}. */
  intervalMs?: number;
  /** Publishes `notifications/resources/updated` for `uri` to the open streams. */
  publish(uri: string): void;
}

/** Polls pod statuses while any listener is open and publishes the changes. */
export class PodStatusFeed {
  readonly #options: PodStatusFeedOptions;
  readonly #intervalMs: number;
  #listeners = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #tick: Promise<void> | undefined;
  #abort = new AbortController();
  /** Status by pod id as last seen; undefined until the first poll after a listener opened. */
  #statuses: Map<string, string> | undefined;
  #closed = false;

  /** Creates a feed; nothing runs until a listener opens. */
  constructor(options: PodStatusFeedOptions) {
    this.#options = options;
    this.#intervalMs = Math.max(
      MIN_POLL_INTERVAL_MS,
      options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    );
  }

  /** How many listeners are open. */
  get listeners(): number {
    return this.#listeners;
  }

  /**
   * A listener opened: polling starts with the first (which reads the starting statuses).
   * Returns the release to call when it closes; calling it twice releases once.
   */
  open(): () => void {
    if (this.#closed) return () => {};
    this.#listeners++;
    if (this.#listeners === 1) {
      this.pollOnce().catch((error) => this.#warn(error));
      this.#timer = setInterval(() => {
        this.pollOnce().catch((error) => this.#warn(error));
      }, this.#intervalMs);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#listeners--;
      if (this.#listeners === 0) this.#stop();
    };
  }

  /** Lists the pods once now and publishes what changed since the last poll; a no-op unwatched. */
  pollOnce(): Promise<void> {
    if (this.#listeners === 0) return Promise.resolve();
    this.#tick ??= this.#poll().finally(() => {
      this.#tick = undefined;
    });
    return this.#tick;
  }

  /** Stops polling for good. */
  close(): void {
    this.#closed = true;
    this.#listeners = 0;
    this.#stop();
  }

  async #poll(): Promise<void> {
    const signal = this.#abort.signal;
    const pods = await listPods(this.#options.runpod, signal);
    if (signal.aborted) return;
    const now = new Map(pods.map((pod) => [pod.id, pod.status]));
    const before = this.#statuses;
    this.#statuses = now;
    if (!before) return;
    for (const [id, status] of before) {
      if (now.get(id) !== status) this.#options.publish(`runpod://pods/${id}`);
    }
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#statuses = undefined;
    this.#abort.abort(new Error("pod status feed stopped"));
    this.#abort = new AbortController();
  }

  #warn(error: unknown): void {
    this.#options.logger.warn("pod status poll failed", {
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }
}
