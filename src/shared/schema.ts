/**
 * Input schemas, applied at every edge (engine API, IPC, HTTP). A failure becomes
 * an INVALID_INPUT error whose message starts with the offending field's path.
 */
import { z } from 'zod';
import { StrataError } from './errors';

export const MAX_MESSAGE_CHARS = 32_768;
export const MAX_MESSAGES_PER_CALL = 10_000;
export const MAX_ID_CHARS = 256;
/** Metadata: nesting levels below the metadata object itself, and its size as JSON text. */
export const MAX_METADATA_DEPTH = 8;
export const MAX_METADATA_BYTES = 16 * 1024;
/** Timestamps: from the epoch to the end of year 9999 (what a Date and an ISO string can both say). */
export const MIN_TIMESTAMP_MS = 0;
export const MAX_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** C0 and C1 controls and DEL: invisible, and some (NUL) cut strings short in other tools. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** True for text that is well-formed UTF-16: no half of a surrogate pair alone (it cannot be stored or matched). */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** A name or label: well-formed, no control characters, 1 to `max` characters. */
const label = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine(isWellFormed, { message: 'not well-formed Unicode (a lone surrogate)' })
    .refine((s) => !hasControl(s), { message: 'contains a control character' });

/** True for values that survive JSON.stringify unchanged: plain objects, arrays, strings, finite numbers, booleans, null. */
export function isPlainJson(value: unknown, seen: Set<object> = new Set()): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object') return false;
  if (seen.has(value)) return false;
  seen.add(value);
  const ok = Array.isArray(value)
    ? value.every((v) => isPlainJson(v, seen))
    : Object.getPrototypeOf(value) === Object.prototype && Object.values(value).every((v) => isPlainJson(v, seen));
  seen.delete(value);
  return ok;
}

/** An id given by a caller (session, message, item, job): well-formed, printable, at most 256 characters. */
export const idSchema = label(MAX_ID_CHARS);
const id = idSchema;
const inRange = (ms: number) => ms >= MIN_TIMESTAMP_MS && ms <= MAX_TIMESTAMP_MS;
const RANGE = 'outside 1970-01-01 to 9999-12-31';
const timestamp = z.union([
  z
    .number()
    .finite()
    .refine(inRange, { message: `${RANGE} (epoch milliseconds)` }),
  z
    .string()
    .max(64)
    .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not a parseable date' })
    .refine((s) => inRange(Date.parse(s)), { message: RANGE }),
]);

/** Depth and size bounds for metadata, with the path of the first value too deep (`metadata.a.b…`). */
function checkMetadata(value: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const above = new Set<object>();
  let cycle = false;
  const tooDeep = (v: unknown, path: (string | number)[]): (string | number)[] | null => {
    if (v === null || typeof v !== 'object') return null;
    if (above.has(v)) {
      cycle = true;
      return null;
    }
    if (path.length >= MAX_METADATA_DEPTH) return path;
    above.add(v);
    for (const [k, child] of Object.entries(v)) {
      const found = tooDeep(child, [...path, Array.isArray(v) ? Number(k) : k]);
      if (found || cycle) return found;
    }
    above.delete(v);
    return null;
  };
  // Depth first, bounded: a cycle or a huge nesting must not reach a recursive walk or JSON.stringify.
  const deep = tooDeep(value, []);
  if (deep && !cycle) {
    ctx.addIssue({ code: 'custom', path: deep, message: `nested deeper than ${MAX_METADATA_DEPTH} levels` });
    return;
  }
  if (!isPlainJson(value)) {
    ctx.addIssue({ code: 'custom', message: 'must be plain JSON (no BigInt, function, symbol, undefined or cycle)' });
    return;
  }
  const bytes = new TextEncoder().encode(JSON.stringify(value)).length;
  if (bytes > MAX_METADATA_BYTES) {
    ctx.addIssue({ code: 'custom', message: `${bytes} bytes as JSON, over the limit of ${MAX_METADATA_BYTES}` });
  }
}

export const sessionInputSchema = z.strictObject({
  id: id.optional(),
  title: z.string().max(500).refine(isWellFormed, { message: 'not well-formed Unicode (a lone surrogate)' }).optional(),
  participants: z.array(label(200)).max(100).optional(),
  startedAt: timestamp.optional(),
  userId: id.optional(),
  agentId: id.optional(),
});
export type SessionInput = z.input<typeof sessionInputSchema>;

export const messageInputSchema = z.strictObject({
  id: id.optional(),
  role: z.enum(['user', 'assistant', 'system']).default('user'),
  speaker: label(200).optional(),
  text: z
    .string()
    .max(MAX_MESSAGE_CHARS, { message: `over the limit of ${MAX_MESSAGE_CHARS} characters` })
    .refine((s) => s.trim().length > 0, { message: 'must not be empty' }),
  timestamp: timestamp.optional(),
  externalId: label(MAX_ID_CHARS).optional(),
  // JSON only, bounded: metadata is stored as JSON text, so a BigInt, function, cycle, a nesting that would blow the
  // stack or a megabyte blob is refused here, naming the field, not in the journal.
  metadata: z.record(z.string(), z.unknown()).superRefine(checkMetadata).optional(),
});
export type MessageInput = z.input<typeof messageInputSchema>;

export const messagesInputSchema = z.array(messageInputSchema).min(1).max(MAX_MESSAGES_PER_CALL);

export const MAX_QUERY_K = 200;
export const MAX_QUERY_CHARS = 4_096;
const layerName = z.enum(['m0', 'm1', 'm2']);
const weight = z.number().finite().min(0).max(100);

/** `engine.query`: text and k, optional layers, sessions, a valid-time window, weights and the result shape. */
export const queryInputSchema = z.strictObject({
  text: z.string().max(MAX_QUERY_CHARS),
  k: z.number().int().min(1).max(MAX_QUERY_K).optional(),
  layers: z.array(layerName).min(1).max(3).optional(),
  sessionIds: z.array(id).min(1).max(1000).optional(),
  /** Only items valid at some point in [from, to]. */
  from: timestamp.optional(),
  to: timestamp.optional(),
  /** The date that relative dates in the text ("last week") are read against; default now. */
  now: timestamp.optional(),
  /** Dates in the text narrow the results (`filter`) or lift items in range (`boost`, the default). */
  timeMode: z.enum(['filter', 'boost', 'off']).optional(),
  /** Multipliers on each source's and each layer's RRF contribution (default 1; 0 turns one off). */
  weights: z
    .strictObject({
      vector: weight.optional(),
      keyword: weight.optional(),
      graph: weight.optional(),
      time: weight.optional(),
      m0: weight.optional(),
      m1: weight.optional(),
      m2: weight.optional(),
    })
    .optional(),
  /** `items` (default), or the source messages ranked by the items that lead to them. */
  returns: z.enum(['items', 'messages']).optional(),
  /** Fold results that share provenance into one (default true). */
  group: z.boolean().optional(),
  /** The RRF constant (default 60). */
  rrfK: z.number().finite().min(1).max(1000).optional(),
});
export type QueryInput = z.input<typeof queryInputSchema>;

function pathOf(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return out;
}

// Values the API edge already parsed, with the schema they passed: the engine trusts them instead of parsing again.
// Keyed by the parsed object itself (a fresh one zod made), so nothing else can carry the mark.
const checked = new WeakMap<object, z.ZodType>();

/** Marks a value `parseInput` returned as checked against `schema` (the API edge does this); returns it. */
export function markChecked<T>(schema: z.ZodType, value: T): T {
  if (value !== null && typeof value === 'object') checked.set(value, schema);
  return value;
}

/**
 * Parses or throws INVALID_INPUT naming the first bad field, e.g. `messages[2].text: required`. A value the edge
 * already parsed with this schema (`markChecked`) is returned as it is: validated once, trusted inside.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, root: string): z.output<S> {
  if (value !== null && typeof value === 'object' && checked.get(value) === schema) return value as z.output<S>;
  const res = schema.safeParse(value);
  if (res.success) return res.data;
  const issue = res.error.issues[0];
  const path = [...(issue?.path ?? [])];
  if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  const field = pathOf(root, path);
  const message = issue?.message ?? 'invalid';
  const problem = issue?.code === 'invalid_type' && /received undefined/.test(message) ? 'required' : message;
  throw new StrataError('INVALID_INPUT', `${field}: ${problem}`, { field });
}

export function toEpochMs(value: number | string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  return typeof value === 'number' ? value : Date.parse(value);
}
