import assert from "node:assert/strict";
import { createLogger, redactSecrets } from "../src/log.ts";

Deno.test("redactSecrets() hides RunPod keys, bearer tokens and HF tokens", () => {
  const text =
    "key rpa_ABCDEF123456 then Authorization: Bearer abc.def-ghi and hf_abcdefghijklmnop";
  const out = redactSecrets(text);
  assert.doesNotMatch(out, /rpa_ABCDEF/);
  assert.doesNotMatch(out, /abc\.def-ghi/);
  assert.doesNotMatch(out, /hf_abcdefghij/);
  assert.match(out, /Bearer \[masked\]/);
});

Deno.test("redactSecrets() hides values of secret-looking assignments", () => {
  const out = redactSecrets('HF_TOKEN=abc123 DB_PASSWORD="p a s s" MODEL=llama api_key: zzz');
  assert.equal(out, 'HF_TOKEN=[masked] DB_PASSWORD="[masked]" MODEL=llama api_key: [masked]');
});

Deno.test("redactSecrets() scrubs extra secrets verbatim", () => {
  assert.equal(redactSecrets("x my-odd-secret y", ["my-odd-secret"]), "x [masked] y");
});

Deno.test("createLogger() writes one redacted line per event at or above its level", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "info", write: (l) => lines.push(l), secrets: ["s3cr3t-key"] });
  log.debug("hidden");
  log.info("request with s3cr3t-key", { auth: "Bearer rpa_LEAKLEAKLEAK", path: "/v2/pods" });
  log.error("multi word", { note: "has spaces" });
  assert.equal(lines.length, 2);
  assert.match(
    lines[0] ?? "",
    /^\S+Z INFO request with \[masked\] auth=\[masked\] path=\/v2\/pods$/,
  );
  assert.match(lines[1] ?? "", /ERROR multi word note="has spaces"$/);
  assert.ok(lines.every((l) => !l.includes("\n")));
});

Deno.test("createLogger() sinks get every level, redacted, even below the stderr level", () => {
  const events: unknown[] = [];
  const log = createLogger({ level: "error", write: () => {} });
  const remove = log.addSink((level, message, fields) => events.push({ level, message, fields }));
  log.debug("token rpa_SINKSINKSINK", { nested: { key: "rpa_NESTEDNESTED" } });
  remove();
  log.info("after removal");
  assert.deepEqual(events, [{
    level: "debug",
    message: "token [masked]",
    fields: { nested: { key: "[masked]" } },
  }]);
});

Deno.test("createLogger() keeps logging when a sink throws", () => {
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l) });
  log.addSink(() => {
    throw new Error("closed");
  });
  log.warn("still here");
  assert.equal(lines.length, 1);
});

Deno.test("redactSecrets() hides bare and JSON-quoted secret names", () => {
  assert.equal(
    redactSecrets(
      `PASSWORD: xyz token=abc {"password": "hunter2", "api_key":"k1", "user": "root"}`,
    ),
    `PASSWORD: [masked] token=[masked] {"password": "[masked]", "api_key":"[masked]", "user": "root"}`,
  );
  assert.equal(
    redactSecrets("author: Alice tokenizer: llama PWD=/root"),
    "author: Alice tokenizer: llama PWD=/root",
  );
});

Deno.test("redactSecrets() hides Authorization credentials of any scheme and length", () => {
  assert.equal(
    redactSecrets("Authorization: Basic dXNlcjpwYXNz"),
    "Authorization: Basic [masked]",
  );
  assert.equal(redactSecrets("Authorization: Bearer xyz"), "Authorization: Bearer [masked]");
  assert.equal(redactSecrets('"authorization":"tok123"'), '"authorization":"[masked]"');
});

Deno.test("redactSecrets() hides the password in a URL but keeps the user and host", () => {
  assert.equal(
    redactSecrets("DATABASE_URL=postgres://app:s3cret@db.internal:5432/app"),
    "DATABASE_URL=postgres://app:[masked]@db.internal:5432/app",
  );
  assert.equal(redactSecrets("see https://example.com/a:b@c"), "see https://example.com/a:b@c");
});
