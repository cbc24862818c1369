/**
 * Deterministic id generation: the same seed gives the same ids in the same order.
 *
 * @module
 */

const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
const HEX = "0123456789abcdef";

/** A seeded pseudo-random source (mulberry32) with RunPod-shaped id helpers. */
export class IdSource {
  #state: number;

  /** Creates a source; without a seed the ids differ per run. */
  constructor(seed?: number) {
    this.#state = (seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** `length` characters drawn from `alphabet`. */
  chars(length: number, alphabet = LOWER_ALNUM): string {
    let s = "";
    for (let i = 0; i < length; i++) s += alphabet[Math.floor(this.next() * alphabet.length)];
    return s;
  }

  /** A 14-character pod or endpoint id such as `xedezhzb9la3ye`. */
  podId(): string {
    return this.chars(14);
  }

  /** A 10-character template or volume id such as `30zmvf89kd`. */
  shortId(): string {
    return this.chars(10);
  }

  /** A cuid-like registry id such as `clzdaifot0001l90809257ynb`. */
  cuid(): string {
    return "cl" + this.chars(23);
  }

  /** `n` lower-case hex digits. */
  hex(n: number): string {
    return this.chars(n, HEX);
  }

  /** A random UUID v4 string built from this source. */
  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${
      h.slice(20, 32)
    }`;
  }

  /** A public IPv4 address that looks like a RunPod host. */
  ip(): string {
    return `${this.int(38, 213)}.${this.int(0, 255)}.${this.int(0, 255)}.${this.int(2, 254)}`;
  }
}
