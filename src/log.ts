/**
 * A small stderr-only logger. Stdout carries the MCP protocol, so nothing here ever writes to it.
 *
 * Every line is redacted before it leaves: RunPod keys (`rpa_…`), bearer tokens, Hugging Face
 * tokens and `key=value` pairs whose key looks secret are replaced with a marker.
 *
 * @module
 */

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

const SECRET_MARK = "[REDACTED]";

// Order matters: specific token shapes first, then generic key=value pairs.
const SECRET_PATTERNS: readonly RegExp[] = [
  /\brpa_[A-Za-z0-9_-]{4,}/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]{4,}/gi,
  /\bhf_[A-Za-z0-9]{8,}/g,
  /\b(?:sk|ghp|gho|github_pat|xox[abp])[-_][A-Za-z0-9_-]{8,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
];

/** Env or field names whose values are secret. */
export const SECRET_NAME =
  /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|CREDENTIAL|AUTH|PRIVATE|SIGNATURE|COOKIE|SESSION)/i;

// The name may be quoted, as in JSON (`"password": "…"`). A bare name (`PASSWORD: …`) has no
// prefix, so it gets its own short list: `author:` or `tokenizer:` must stay readable.
const SECRET_ASSIGNMENT =
  /\b([A-Za-z_][A-Za-z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)[A-Za-z0-9_]*|PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIALS?)("?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&"']+)/gi;

// Any scheme (Basic, Bearer, Token, …) and any length of credential; the scheme stays visible.
const AUTHORIZATION_HEADER =
  /\b((?:proxy-)?authorization"?\s*[=:]\s*"?)(?:(basic|bearer|digest|token|negotiate)\s+)?[^\s,;"']+/gi;

// Userinfo in a URL, e.g. `postgres://app:pw@db:5432`; the user name stays visible.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:)[^\s@/]+@/gi;

/** Replaces anything in `text` that looks like a credential with a marker. */
export function redactSecrets(text: string, extra: readonly string[] = []): string {
  let out = text;
  for (const secret of extra) {
    if (secret.length >= 4) out = out.split(secret).join(SECRET_MARK);
  }
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(
      pattern,
      (match) => /^bearer/i.test(match) ? `Bearer ${SECRET_MARK}` : SECRET_MARK,
    );
  }
  out = out.replace(
    AUTHORIZATION_HEADER,
    (_m, head: string, scheme: string | undefined) =>
      `${head}${scheme ? `${scheme} ` : ""}${SECRET_MARK}`,
  );
  out = out.replace(URL_PASSWORD, (_m, head: string) => `${head}${SECRET_MARK}@`);
  return out.replace(
    SECRET_ASSIGNMENT,
    (match, name: string, sep: string) =>
      // The header rule above already kept the scheme; redacting it here would hide nothing more.
      /authorization$/i.test(name) ? match : `${name}${sep}${SECRET_MARK}`,
  );
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
    if (value === undefined) continue;
    const text = typeof value === "string" ? value : safeJson(value);
    parts.push(`${key}=${/\s/.test(text) ? JSON.stringify(text) : text}`);
  }
  return parts.join(" ");
}

function redactValue(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") return redactSecrets(value, secrets);
  const text = redactSecrets(safeJson(value), secrets);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
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
    const fieldText = formatFields(fields);
    const cleanFields: LogFields = {};
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      cleanFields[key] = redactValue(value, secrets);
    }
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
