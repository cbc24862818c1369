/**
 * A tiny JSON-schema subset used to validate request bodies the way RunPod's gateway does:
 * every violation becomes one line of the 422 problem's `errors` array, e.g.
 * `$: additional properties 'x' not allowed`.
 *
 * @module
 */

/** A schema node. Objects reject unknown properties unless `values` describes a map. */
export type Schema =
  | {
    type: "object";
    props?: Record<string, Schema>;
    required?: readonly string[];
    /** Map-like objects: every value must match this schema (unknown keys allowed). */
    values?: Schema;
  }
  | {
    type: "string";
    minLength?: number;
    pattern?: RegExp;
    enum?: readonly string[];
    nullable?: boolean;
  }
  | { type: "integer" | "number"; minimum?: number; maximum?: number }
  | { type: "boolean" }
  | { type: "any" }
  | { type: "array"; items: Schema; minItems?: number; maxItems?: number };

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** Validates `value` against `schema`; returns the error lines (empty when valid). */
export function validate(schema: Schema, value: unknown, path = "$"): string[] {
  const errors: string[] = [];
  const actual = typeOf(value);
  switch (schema.type) {
    case "object": {
      if (actual !== "object") return [`${path}: got ${actual}, want object`];
      const obj = value as Record<string, unknown>;
      for (const key of schema.required ?? []) {
        if (!(key in obj)) errors.push(`${path}: missing property '${key}'`);
      }
      if (schema.values) {
        for (const [k, v] of Object.entries(obj)) {
          errors.push(...validate(schema.values, v, `${path}.${k}`));
        }
        return errors;
      }
      const props = schema.props ?? {};
      const extra = Object.keys(obj).filter((k) => !(k in props));
      if (extra.length > 0) {
        errors.push(
          `${path}: additional properties ${extra.map((k) => `'${k}'`).join(", ")} not allowed`,
        );
      }
      for (const [k, sub] of Object.entries(props)) {
        if (k in obj) errors.push(...validate(sub, obj[k], `${path}.${k}`));
      }
      return errors;
    }
    case "string": {
      if (value === null && schema.nullable) return [];
      if (actual !== "string") {
        return [`${path}: got ${actual}, want ${schema.nullable ? "string or null" : "string"}`];
      }
      const s = value as string;
      if (schema.minLength !== undefined && s.length < schema.minLength) {
        errors.push(`${path}: minLength: got ${s.length}, want ${schema.minLength}`);
      }
      if (schema.pattern && !schema.pattern.test(s)) {
        errors.push(`${path}: '${s}' does not match pattern '${schema.pattern.source}'`);
      }
      if (schema.enum && !schema.enum.includes(s)) {
        errors.push(`${path}: value must be one of ${schema.enum.map((e) => `'${e}'`).join(", ")}`);
      }
      return errors;
    }
    case "integer":
    case "number": {
      const ok = schema.type === "integer"
        ? actual === "integer"
        : actual === "integer" || actual === "number";
      if (!ok) return [`${path}: got ${actual}, want ${schema.type}`];
      const n = value as number;
      if (schema.minimum !== undefined && n < schema.minimum) {
        errors.push(`${path}: minimum: got ${n}, want ${schema.minimum}`);
      }
      if (schema.maximum !== undefined && n > schema.maximum) {
        errors.push(`${path}: maximum: got ${n}, want ${schema.maximum}`);
      }
      return errors;
    }
    case "boolean":
      return actual === "boolean" ? [] : [`${path}: got ${actual}, want boolean`];
    case "any":
      return [];
    case "array": {
      if (actual !== "array") return [`${path}: got ${actual}, want array`];
      const arr = value as unknown[];
      if (schema.minItems !== undefined && arr.length < schema.minItems) {
        errors.push(`${path}: minItems: got ${arr.length}, want ${schema.minItems}`);
      }
      if (schema.maxItems !== undefined && arr.length > schema.maxItems) {
        errors.push(`${path}: maxItems: got ${arr.length}, want ${schema.maxItems}`);
      }
      arr.forEach((item, i) => errors.push(...validate(schema.items, item, `${path}[${i}]`)));
      return errors;
    }
  }
}

/** Shorthand for a string schema. */
export const str = (extra: Omit<Extract<Schema, { type: "string" }>, "type"> = {}): Schema => ({
  type: "string",
  ...extra,
});
/** Shorthand for an integer schema. */
export const int = (minimum?: number, maximum?: number): Schema => ({
  type: "integer",
  ...(minimum !== undefined ? { minimum } : {}),
  ...(maximum !== undefined ? { maximum } : {}),
});
/** Shorthand for a boolean schema. */
export const bool: Schema = { type: "boolean" };
/** Shorthand for an array schema. */
export const arr = (
  items: Schema,
  extra: { minItems?: number; maxItems?: number } = {},
): Schema => ({
  type: "array",
  items,
  ...extra,
});
/** Shorthand for a closed object schema. */
export const obj = (props: Record<string, Schema>, required: readonly string[] = []): Schema => ({
  type: "object",
  props,
  required,
});
/** A string→string map such as `env`. */
export const stringMap: Schema = { type: "object", values: { type: "string" } };
