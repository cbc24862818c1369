/**
 * A small stderr-only logger. Stdout carries the MCP protocol, so nothing here ever writes to it.
 *
 * Every line and every sink event is masked before it leaves, by the rules of `secrets.ts`:
 * credential-shaped values anywhere, values of secret-named fields and `NAME=value` pairs, and the
 * configured extra secrets (the API key), all shown as the one placeholder `[masked]`.
 *
 * @module
 */

import { maskBody, redactSecrets } from "./secrets.ts";

export { redactSecrets } from "./secrets.ts";

/** Log levels, least to most severe. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Structured fields attached to one log event. */
export type LogFields = Record<string, unknown>;

/** A sink that receives every event at or above the logger's level, already redacted. */
export type LogSink = (level: LogLevel, message: string, fields: LogFields) => void;

/** The logging interface every module depends on. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Lowest level written to stderr. Default `info`. */
  level?: LogLevel;
  /** Where lines go. Default: stderr. Tests pass an array collector. */
  write?: (line: string) => void;
  /** Extra secret strings to scrub verbatim (e.g. the configured API key). */
  secrets?: readonly string[];
}

/** A logger that can also forward events to extra sinks (such as MCP logging notifications). */
export interface RootLogger extends Logger {
  /** Adds a sink called for every event regardless of the stderr level; returns a remover. */
  addSink(sink: LogSink): () => void;
  /** Changes the stderr level. */
  setLevel(level: LogLevel): void;
}

/** True when `level` is at least as severe as `threshold`. */
export function levelEnabled(level: LogLevel, threshold: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

function stderrWriter(): (line: string) => void {
  const encoder = new TextEncoder();
  return (line) => {
    try {
      Deno.stderr.writeSync(encoder.encode(line + "\n"));
    } catch {
      // stderr closed: nowhere left to report, and logging must never crash the server.
    }
  };
}

function formatFields(fields: LogFields): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    const text = typeof value === "string" ? value : safeJson(value);
    parts.push(`${key}=${/\s/.test(text) ? JSON.stringify(text) : text}`);
  }
  return parts.join(" ");
}

/** Fields as plain JSON values (errors as "Name: message"), so masking sees every string. */
function plainFields(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (value instanceof Error) out[key] = safeJson(value);
    else if (value !== null && typeof value === "object") {
      const text = safeJson(value);
      try {
        out[key] = JSON.parse(text);
      } catch {
        out[key] = text;
      }
    } else out[key] = value;
  }
  return out;
}

function safeJson(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Creates the process logger: one redacted line per event on stderr, plus any added sinks.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: "debug", secrets: [apiKey] });
 * log.info("request", { method: "GET", path: "/v2/pods" });
 * ```
 */
export function createLogger(options: LoggerOptions = {}): RootLogger {
  let threshold: LogLevel = options.level ?? "info";
  const write = options.write ?? stderrWriter();
  const secrets = options.secrets ?? [];
  const sinks = new Set<LogSink>();

  const emit = (level: LogLevel, message: string, fields: LogFields = {}) => {
    const cleanMessage = redactSecrets(message, secrets);
    const cleanFields = maskBody(plainFields(fields), secrets) as LogFields;
    // The line is masked once more as a whole: a secret may only show once fields are joined.
    const fieldText = formatFields(cleanFields);
    if (levelEnabled(level, threshold)) {
      const stamp = new Date().toISOString();
      const tail = fieldText ? " " + redactSecrets(fieldText, secrets) : "";
      write(`${stamp} ${level.toUpperCase()} ${cleanMessage}${tail}`);
    }
    for (const sink of sinks) {
      try {
        sink(level, cleanMessage, cleanFields);
      } catch {
        // A failing sink (e.g. a closed MCP transport) must not break logging.
      }
    }
  };

  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    addSink(sink) {
      sinks.add(sink);
      return () => sinks.delete(sink);
    },
    setLevel(level) {
      threshold = level;
    },
  };
}

/** A logger that discards everything; for tests and library use. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
