/**
 * Checks that a string is an OpenSSH public key. Rejected values are never echoed back: a model
 * may have pasted a private key by mistake.
 *
 * @module
 */

import { ToolInputError } from "./_define.ts";

const KEY_TYPES = new Set([
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
]);

function decodedKeyType(base64: string): string | undefined {
  try {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    if (bytes.length < 8) return undefined;
    const length = new DataView(bytes.buffer).getUint32(0);
    if (length > 64 || 4 + length > bytes.length) return undefined;
    return new TextDecoder().decode(bytes.subarray(4, 4 + length));
  } catch {
    return undefined;
  }
}

/**
 * Returns the key normalised to one line, or throws a {@linkcode ToolInputError} saying what kind
 * of wrong thing was given (private key, file path, fingerprint) without repeating it.
 */
export function validateSshPublicKey(value: string): string {
  const text = value.trim();
  const fail = (why: string) => {
    throw new ToolInputError(`Cannot use ssh_public_key: ${why}`);
  };
  if (/PRIVATE KEY|PuTTY-User-Key-File/i.test(text)) {
    fail(
      "it looks like a PRIVATE key. Never share a private key; pass the contents of the .pub file (it starts with ssh-ed25519 or ssh-rsa)",
    );
  }
  if (/^(SHA256|MD5):/i.test(text) || /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(text)) {
    fail("it looks like a key fingerprint; pass the whole public key (the .pub file's contents)");
  }
  if (/^(~|\/|[A-Za-z]:\\|\.{1,2}\/)/.test(text) || /\.pub$/i.test(text)) {
    fail(
      "it looks like a file path. This server cannot read files; pass the .pub file's contents",
    );
  }
  if (/[\r\n]/.test(text)) fail("it has several lines; pass exactly one public key line");
  const [type, body] = text.split(/\s+/);
  if (!type || !KEY_TYPES.has(type) || !body || !/^[A-Za-z0-9+/]+={0,3}$/.test(body)) {
    fail(
      "it is not an OpenSSH public key (expected '<type> <base64> [comment]', e.g. ssh-ed25519 AAAA… me@laptop)",
    );
  }
  if (decodedKeyType(body!) !== type) {
    fail("the key data does not match its type; copy the .pub file's line again in full");
  }
  if (text.length > 16_384) fail("it is too long for a public key");
  return text;
}

/** One authorized_keys line, split; `data` is the base64 key blob. */
export interface AuthorizedKey {
  type: string;
  data: string;
  comment: string;
}

/**
 * Splits an authorized_keys line (`<type> <base64> [comment]`, options before the type allowed),
 * or undefined when it holds no recognisable key.
 */
export function parseAuthorizedKey(line: string): AuthorizedKey | undefined {
  const text = line.trim();
  const words = [...text.matchAll(/\S+/g)];
  const at = words.findIndex((w) => KEY_TYPES.has(w[0]));
  const data = at >= 0 ? words[at + 1] : undefined;
  if (at < 0 || !data || !/^[A-Za-z0-9+/]+={0,3}$/.test(data[0])) return undefined;
  // The comment is kept as written, inner spacing and all.
  const comment = text.slice(data.index! + data[0].length).replace(/^\s+/, "");
  return { type: words[at]![0], data: data[0], comment };
}

/** True when two lines hold the same key, whatever their comments and options. */
export function sameKey(a: AuthorizedKey, b: AuthorizedKey): boolean {
  return a.type === b.type && a.data === b.data;
}

/** The key's OpenSSH SHA256 fingerprint, e.g. `SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU`. */
export async function sshFingerprint(key: AuthorizedKey): Promise<string> {
  const blob = Uint8Array.from(atob(key.data), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", blob));
  return `SHA256:${btoa(String.fromCharCode(...digest)).replace(/=+$/, "")}`;
}
