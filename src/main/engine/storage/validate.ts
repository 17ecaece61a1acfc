/** Validation of storage batches, on the main thread, before anything reaches the journal. */
import { StrataError } from '../../../shared/errors';
import { isPlainJson, MAX_MESSAGE_CHARS } from '../../../shared/schema';
import type { Layer } from '../../../shared/types';

/** Room for a message at the limit plus its speaker prefix (speaker ≤ 200 characters and ": "). */
export const MAX_TEXT_CHARS = MAX_MESSAGE_CHARS + 256;
export const MAX_ID_CHARS = 256;
const LAYERS: readonly Layer[] = ['m0', 'm1', 'm2'];

export interface ItemInput {
  id: string;
  layer: Layer;
  kind: string;
  sessionId: string | null;
  text: string;
  /** Messages or items this one was derived from (provenance edges). */
  sources: string[];
  /** Other outgoing edges (a fact `mentions` an entity, an entity `lives in` a place). */
  links?: { dst: string; kind: string }[];
  /** Layer-specific fields, stored as JSON in the journal. */
  data?: Record<string, unknown>;
  /** Epoch ms the item holds from / until (a fact's validity; an episode's time range). */
  validFrom?: number | null;
  validTo?: number | null;
}

const NOT_SPACE = /\S/;

function invalid(field: string, problem: string): StrataError {
  return new StrataError('INVALID_INPUT', `${field}: ${problem}`, { field });
}

export function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalid(field, `expected a string id, got ${typeof value}`);
  if (value.length === 0 || value.length > MAX_ID_CHARS) {
    throw invalid(field, `id must be 1 to ${MAX_ID_CHARS} characters`);
  }
  return value;
}

export function checkText(value: unknown, field: string): string {
  if (value === undefined || value === null) throw invalid(field, 'required');
  if (typeof value !== 'string') throw invalid(field, `expected a string, got ${typeof value}`);
  // White space only (trim's set is \s's): found at the first other character, without trim's copy of the text.
  if (!NOT_SPACE.test(value)) throw invalid(field, 'must not be empty');
  if (value.length > MAX_TEXT_CHARS) {
    throw invalid(field, `${value.length} characters is over the limit of ${MAX_TEXT_CHARS}`);
  }
  return value;
}

export function validateItems(items: unknown): asserts items is ItemInput[] {
  if (!Array.isArray(items)) throw invalid('items', 'expected an array');
  const seen = new Set<string>();
  items.forEach((raw: unknown, i) => {
    const f = `items[${i}]`;
    if (raw === null || typeof raw !== 'object') throw invalid(f, 'expected an object');
    const it = raw as Record<string, unknown>;
    const id = checkId(it.id, `${f}.id`);
    if (seen.has(id)) throw invalid(`${f}.id`, `duplicate id "${id}" in one batch`);
    seen.add(id);
    if (!LAYERS.includes(it.layer as Layer)) throw invalid(`${f}.layer`, `expected one of ${LAYERS.join(', ')}`);
    if (typeof it.kind !== 'string' || it.kind.length === 0) throw invalid(`${f}.kind`, 'expected a non-empty string');
    if (it.sessionId !== null) checkId(it.sessionId, `${f}.sessionId`);
    checkText(it.text, `${f}.text`);
    if (!Array.isArray(it.sources)) throw invalid(`${f}.sources`, 'expected an array of ids');
    it.sources.forEach((s, j) => {
      checkId(s, `${f}.sources[${j}]`);
    });
    if (it.links !== undefined) {
      if (!Array.isArray(it.links)) throw invalid(`${f}.links`, 'expected an array of {dst, kind}');
      it.links.forEach((l: { dst?: unknown; kind?: unknown }, j) => {
        checkId(l?.dst, `${f}.links[${j}].dst`);
        if (typeof l.kind !== 'string' || l.kind.length === 0)
          throw invalid(`${f}.links[${j}].kind`, 'expected a name');
      });
    }
    if (it.data !== undefined && it.data !== null && !isPlainJson(it.data))
      throw invalid(`${f}.data`, 'must be plain JSON');
    for (const k of ['validFrom', 'validTo'] as const) {
      const v = it[k];
      if (v !== undefined && v !== null && !(typeof v === 'number' && Number.isFinite(v))) {
        throw invalid(`${f}.${k}`, 'expected epoch milliseconds');
      }
    }
  });
}

/** One row-major Float32Array, items × dim, every value finite and no row all zeros. */
export function validateVectors(vectors: unknown, rows: number, dim: number): asserts vectors is Float32Array {
  if (!(vectors instanceof Float32Array)) {
    throw invalid('vectors', `expected a Float32Array, got ${vectors?.constructor?.name ?? typeof vectors}`);
  }
  if (vectors.length !== rows * dim) {
    const perRow = rows > 0 ? vectors.length / rows : vectors.length;
    throw new StrataError(
      'DIMENSION_MISMATCH',
      `vectors: expected ${rows} × ${dim} = ${rows * dim} floats, got ${vectors.length}` +
        (rows > 0 && Number.isInteger(perRow) ? ` (${perRow} per row)` : ''),
      { field: 'vectors', expected: dim, rows, length: vectors.length },
    );
  }
  for (let r = 0; r < rows; r++) {
    let nonZero = false;
    let finite = 0; // x - x is 0 for every finite x and NaN for NaN and ±Infinity
    const base = r * dim;
    for (let c = 0; c < dim; c++) {
      const v = vectors[base + c] as number;
      finite += v - v;
      nonZero ||= v !== 0;
    }
    if (finite !== 0) {
      for (let c = 0; c < dim; c++) {
        const v = vectors[base + c] as number;
        if (!Number.isFinite(v)) throw invalid(`vectors[${r}][${c}]`, `${v} is not a finite number`);
      }
    }
    if (!nonZero && dim > 0) throw invalid(`vectors[${r}]`, 'all zeros: a zero vector has no direction to compare');
  }
}
