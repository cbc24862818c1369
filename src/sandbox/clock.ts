/**
 * The simulator's clock: manual (moves only through `advance`) or real (wall clock × speed).
 *
 * @module
 */

/** Default start of the manual clock: 2026-11-24 12:00 UTC. */
export const DEFAULT_START = Date.UTC(2026, 10, 24, 12);

/** How the clock runs. */
export type ClockOptions =
  | { mode: "manual"; start?: number }
  | { mode: "real"; speed?: number };

/** A clock that is either advanced by hand or follows the wall clock, possibly sped up. */
export class SimClock {
  readonly mode: "manual" | "real";
  #manualNow: number;
  #realStart: number;
  #speed: number;

  /** Creates a clock; manual from {@linkcode DEFAULT_START} unless told otherwise. */
  constructor(options: ClockOptions = { mode: "manual" }) {
    this.mode = options.mode;
    if (options.mode === "manual") {
      this.#manualNow = options.start ?? DEFAULT_START;
      this.#realStart = 0;
      this.#speed = 1;
    } else {
      this.#realStart = Date.now();
      this.#manualNow = this.#realStart;
      this.#speed = options.speed ?? 1;
      if (!(this.#speed > 0)) throw new RangeError("Cannot create clock: speed must be positive");
    }
  }

  /** Current simulated epoch milliseconds. */
  now(): number {
    if (this.mode === "manual") return this.#manualNow;
    return Math.floor(this.#realStart + (Date.now() - this.#realStart) * this.#speed);
  }

  /** Moves a manual clock forward. */
  advance(ms: number): void {
    if (this.mode !== "manual") {
      throw new Error("Cannot advance the clock: it follows real time");
    }
    if (!(ms >= 0) || !Number.isFinite(ms)) {
      throw new RangeError("Cannot advance the clock: ms must be a finite number >= 0");
    }
    this.#manualNow += ms;
  }
}
