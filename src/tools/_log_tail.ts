/**
 * The latest lines of a RunPod log stream as tools show them (get_pod_logs, get_worker_logs):
 * `<UTC time> [source] text`, redacted, each line capped, the count held to `tail`, and a note
 * that says what was shown and how to get more.
 *
 * @module
 */

import { redactSecrets } from "../log.ts";
import type { LogLine, LogRead } from "../runpod/mod.ts";

/** Longest line shown; longer ones (progress bars, JSON dumps) are cut. */
export const MAX_LINE_CHARS = 2000;
/** Most lines one call returns. */
export const MAX_LOG_TAIL = 1000;

/** `2026-11-24T12:00:00.123456789Z` → `2026-11-24T12:00:00.123Z`; anything else unchanged. */
export function shortTs(ts: string): string {
  return ts.replace(/^(.+T\d\d:\d\d:\d\d)(\.\d{1,3})?\d*(Z|[+-]\d\d:\d\d)$/, "$1$2$3");
}

/** One line as the model sees it: `<ts> [source] text`, redacted and length-capped. */
export function formatLine(entry: LogLine): { text: string; cut: boolean } {
  let line = redactSecrets(entry.line);
  const cut = line.length > MAX_LINE_CHARS;
  if (cut) line = `${line.slice(0, MAX_LINE_CHARS)}… [line cut]`;
  const ts = entry.ts === "" ? "" : `${shortTs(entry.ts)} `;
  return { text: `${ts}[${entry.source}] ${line}`, cut };
}

/** The last lines of a read, formatted, with what the model needs to judge them. */
export interface LogTail {
  lines: string[];
  /** True when lines were left out or cut. */
  truncated: boolean;
  /** What was shown and how to get more. */
  note: string;
  /** Time span of the lines shown, e.g. `from 2026-… to 2026-…`; "" when there are none. */
  span: string;
}

/**
 * Shapes a bounded read into its last `tail` lines and a note; `empty` is the note when no line
 * came (say why and what to do).
 */
export function logTail(read: LogRead, tail: number, empty: string): LogTail {
  // Lines that arrived live while reading can push the count past `tail`.
  const kept = read.lines.slice(-tail);
  const formatted = kept.map(formatLine);
  const lines = formatted.map((f) => f.text);
  const truncated = read.truncated || read.lines.length > kept.length ||
    formatted.some((f) => f.cut);
  let note: string;
  if (lines.length === 0) {
    note = empty;
  } else if (read.stoppedBy === "broken") {
    note = "The connection to RunPod dropped mid-read, so later lines may be missing: call again.";
  } else if (read.truncated) {
    note =
      "The read stopped at its size cap, so later lines may be missing: lower tail or pick one source.";
  } else if (lines.length >= tail) {
    note = `Only the last ${tail} lines are shown; raise tail (max ${MAX_LOG_TAIL}) for more.`;
  } else {
    note = `All ${lines.length} recent lines RunPod sent.`;
  }
  const first = kept[0];
  const last = kept[kept.length - 1];
  const span = first && last ? `from ${shortTs(first.ts)} to ${shortTs(last.ts)}` : "";
  return { lines, truncated, note, span };
}
