import { prng } from '../shared/prng.js';
import type { JsonSchema } from './chat.js';
import { seedOf, seededWords } from './model.js';

/** Values a prompt gives for tool input properties: `name=value` / `name: "value"` pairs. */
export type InputHints = ReadonlyMap<string, string>;

const HINT = /([A-Za-z_][A-Za-z0-9_]*)\s*[:=]\s*(?:"([^"]*)"|([^\s,;]+))/g;

/**
 * Reads `key=value`, `key: value` and `key="quoted value"` pairs from a user message (trailing
 * sentence punctuation is not part of an unquoted value).
 */
export function inputHints(text: string): InputHints {
  const hints = new Map<string, string>();
  for (const m of text.matchAll(HINT)) {
    const key = m[1] ?? '';
    // An unquoted value ends before sentence punctuation ("zone=UTC?" means UTC).
    const value = m[2] ?? (m[3] ?? '').replace(/[.?!:)\]]+$/, '');
    if (!hints.has(key)) hints.set(key, value);
  }
  return hints;
}

function isSchema(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Resolves a local `$ref` (`#/$defs/x`, `#/definitions/x`) against the root schema. */
function deref(schema: JsonSchema, root: JsonSchema): JsonSchema {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    node = isSchema(node) ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  return isSchema(node) ? node : {};
}

/** Merges `allOf` members into one schema (properties and required lists united). */
function mergeAllOf(schema: JsonSchema, root: JsonSchema): JsonSchema {
  if (!Array.isArray(schema.allOf)) return schema;
  const merged: JsonSchema = { ...schema, allOf: undefined };
  const properties: JsonSchema = { ...(isSchema(schema.properties) ? schema.properties : {}) };
  const required = new Set<string>(
    Array.isArray(schema.required) ? (schema.required as string[]) : [],
  );
  for (const part of schema.allOf) {
    if (!isSchema(part)) continue;
    const member = deref(part, root);
    Object.assign(merged, member, { properties, required: undefined });
    if (isSchema(member.properties)) Object.assign(properties, member.properties);
    if (Array.isArray(member.required)) for (const r of member.required) required.add(String(r));
  }
  return { ...merged, properties, required: [...required] };
}

interface Context {
  root: JsonSchema;
  rand: () => number;
  seed: string;
  hints: InputHints;
  depth: number;
}

function typeOf(schema: JsonSchema): string | undefined {
  const t = schema.type;
  if (typeof t === 'string') return t;
  // For a union of types the first non-null one is generated.
  if (Array.isArray(t)) return (t.find((x) => x !== 'null') ?? t[0]) as string | undefined;
  if (isSchema(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  return undefined;
}

function numberFor(schema: JsonSchema, integer: boolean, ctx: Context, hint?: string): number {
  const min = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  const max = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  const exMin = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum : undefined;
  const exMax = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum : undefined;
  const step =
    typeof schema.multipleOf === 'number' && schema.multipleOf > 0
      ? schema.multipleOf
      : integer
        ? 1
        : undefined;
  const lo = min ?? (exMin !== undefined ? exMin + (step ?? 0.5) : undefined);
  const hi = max ?? (exMax !== undefined ? exMax - (step ?? 0.5) : undefined);
  const fits = (n: number): boolean =>
    Number.isFinite(n) &&
    (!integer || Number.isInteger(n)) &&
    (lo === undefined || n >= lo) &&
    (hi === undefined || n <= hi) &&
    (exMin === undefined || n > exMin) &&
    (exMax === undefined || n < exMax) &&
    (step === undefined || Math.abs(n / step - Math.round(n / step)) < 1e-9);
  if (hint !== undefined && fits(Number(hint))) return Number(hint);
  const from = lo ?? (hi !== undefined ? hi - 100 : 0);
  const to = hi ?? from + 100;
  let n = from + ctx.rand() * Math.max(0, to - from);
  if (step !== undefined) n = Math.ceil(n / step) * step;
  if (integer) n = Math.round(n);
  if (!integer && step === undefined) n = Math.round(n * 100) / 100;
  return fits(n) ? n : (lo ?? hi ?? 0);
}

function safeRegExp(source: string): RegExp | undefined {
  try {
    return new RegExp(source, 'u');
  } catch {
    return undefined;
  }
}

function stringFor(schema: JsonSchema, ctx: Context, hint?: string): string {
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  const pattern = typeof schema.pattern === 'string' ? safeRegExp(schema.pattern) : undefined;
  const fits = (v: string): boolean =>
    v.length >= minLength && v.length <= maxLength && (pattern === undefined || pattern.test(v));
  if (hint !== undefined && fits(hint)) return hint;
  switch (schema.format) {
    case 'date-time':
      return '2025-01-01T12:00:00Z';
    case 'date':
      return '2025-01-01';
    case 'time':
      return '12:00:00';
    case 'email':
      return 'user@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com/';
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
    default:
      break;
  }
  let text = seededWords(`${ctx.seed}:${ctx.rand()}`, 2).join('');
  while (text.length < minLength) text += ` ${text}`;
  return text.slice(0, Math.min(maxLength, Math.max(minLength, text.length)));
}

function valueFor(schema: JsonSchema, ctx: Context, hint?: string): unknown {
  if (ctx.depth > 8) return null;
  const s = mergeAllOf(deref(schema, ctx.root), ctx.root);
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) {
    const match = s.enum.find((e) => String(e) === hint);
    return match ?? s.enum[Math.floor(ctx.rand() * s.enum.length)];
  }
  const union = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined;
  if (union) {
    // The first non-null member: deterministic and, for oneOf with disjoint members, valid.
    const member = union.find((m) => isSchema(m) && m.type !== 'null') ?? union[0];
    return valueFor(isSchema(member) ? member : {}, ctx, hint);
  }
  const next = { ...ctx, depth: ctx.depth + 1 };
  switch (typeOf(s)) {
    case 'object': {
      const props = isSchema(s.properties) ? s.properties : {};
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(props)) {
        if (isSchema(prop)) out[key] = valueFor(prop, next, ctx.hints.get(key));
      }
      return out;
    }
    case 'array': {
      const items = isSchema(s.items) ? s.items : {};
      const minItems = typeof s.minItems === 'number' ? s.minItems : 1;
      const maxItems = typeof s.maxItems === 'number' ? s.maxItems : Math.max(minItems, 2);
      const count = Math.max(minItems, Math.min(maxItems, 2));
      const values: unknown[] = [];
      for (let i = 0; i < count; i++) values.push(valueFor(items, next));
      return values;
    }
    case 'string':
      return stringFor(s, ctx, hint);
    case 'integer':
      return numberFor(s, true, ctx, hint);
    case 'number':
      return numberFor(s, false, ctx, hint);
    case 'boolean':
      return hint === 'true' ? true : hint === 'false' ? false : ctx.rand() < 0.5;
    case 'null':
      return null;
    default:
      return hint ?? seededWords(`${ctx.seed}:${ctx.rand()}`, 1).join('');
  }
}

/**
 * A tool input valid against the tool's JSON Schema (types, enums, const, numeric and length
 * bounds, formats, arrays, nested objects, `$ref`, `allOf`/`anyOf`/`oneOf`), deterministic for
 * a seed. Every declared property is filled; a `name=value` hint from the prompt is used where
 * it fits the property's schema.
 */
export function toolInputFor(schema: JsonSchema, seed: string, hints: InputHints): unknown {
  const ctx: Context = { root: schema, rand: prng(seedOf(seed)), seed, hints, depth: 0 };
  const value = valueFor(schema, ctx);
  // A tool input is always an object; a schema without properties still gets `{}`.
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}
