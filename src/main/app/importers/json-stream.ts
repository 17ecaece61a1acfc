/**
 * A top-level JSON array read one element at a time straight from its UTF-8 bytes: the element's bytes are found
 * by a small scanner (brackets, braces and strings; JSON's structural characters are ASCII and never occur inside a
 * multi-byte UTF-8 sequence, so bytes can be scanned without decoding), then only that element is decoded and
 * parsed. A 60 MB ChatGPT export is thus never held as one string nor as one parsed tree. Refusals name the
 * element's index and its byte offset in the file.
 */
import { refuse } from './common';

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

const isSpace = (b: number | undefined): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** Where the content starts: past a byte-order mark and whitespace. */
export function contentStart(bytes: Uint8Array): number {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (isSpace(bytes[i])) i++;
  return i;
}

/** The first `n` bytes as text (a multi-byte character cut at the end becomes U+FFFD): enough to sniff a format. */
export function headText(bytes: Uint8Array, n = 65_536): string {
  return lenient.decode(bytes.subarray(0, Math.min(n, bytes.length)));
}

/** True when the bytes start (after a BOM and whitespace) with `[`. */
export function startsArray(bytes: Uint8Array): boolean {
  return bytes[contentStart(bytes)] === OPEN_BRACKET;
}

/** The index just past the string whose opening quote is at `at`, or -1 if it never closes. */
function stringEnd(bytes: Uint8Array, at: number): number {
  let i = at + 1;
  for (;;) {
    const q = bytes.indexOf(QUOTE, i);
    if (q < 0) return -1;
    // Escaped when an odd number of backslashes stands right before it.
    let back = 0;
    while (bytes[q - 1 - back] === BACKSLASH) back++;
    if (back % 2 === 0) return q + 1;
    i = q + 1;
  }
}

/** The index just past the value that starts at `at` (an object, array, string or scalar). */
function valueEnd(bytes: Uint8Array, at: number, field: string): number {
  const first = bytes[at];
  if (first === QUOTE) {
    const end = stringEnd(bytes, at);
    if (end < 0) throw refuse(field, 'a string that never closes');
    return end;
  }
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let i = at;
    while (i < bytes.length && bytes[i] !== COMMA && bytes[i] !== CLOSE_BRACKET && !isSpace(bytes[i])) i++;
    return i;
  }
  let depth = 0;
  let i = at;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b === QUOTE) {
      const end = stringEnd(bytes, i);
      if (end < 0) throw refuse(field, 'a string that never closes');
      i = end;
      continue;
    }
    if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
    else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  throw refuse(field, 'the file ends inside this value (truncated?)');
}

export interface ArrayElement {
  index: number;
  /** Byte offset of the element in the file. */
  offset: number;
  value: unknown;
}

/**
 * Each element of the top-level array in `bytes`, parsed one at a time. `what` says what the array should hold
 * (for the refusal when the file is not an array).
 */
export function* arrayElements(bytes: Uint8Array, path: string, what = 'an array'): Generator<ArrayElement> {
  let i = contentStart(bytes);
  if (bytes[i] !== OPEN_BRACKET) throw refuse(path, `expected ${what}`);
  i++;
  let index = 0;
  for (;;) {
    while (isSpace(bytes[i])) i++;
    if (i >= bytes.length) throw refuse(`${path} byte ${i}`, 'the file ends before the array closes (truncated?)');
    if (bytes[i] === CLOSE_BRACKET && index === 0) {
      i++;
      break;
    }
    const field = `${path}[${index}] (byte ${i})`;
    const end = valueEnd(bytes, i, field);
    let value: unknown;
    try {
      value = JSON.parse(strict.decode(bytes.subarray(i, end)));
    } catch (err) {
      const why = err instanceof TypeError ? 'not UTF-8 text' : err instanceof Error ? err.message : String(err);
      throw refuse(field, `not valid JSON (${why})`);
    }
    yield { index, offset: i, value };
    index++;
    i = end;
    while (isSpace(bytes[i])) i++;
    if (bytes[i] === COMMA) {
      i++;
      continue;
    }
    if (bytes[i] === CLOSE_BRACKET) {
      i++;
      break;
    }
    throw refuse(
      `${path} byte ${i}`,
      i >= bytes.length ? 'the file ends before the array closes' : "expected ',' or ']'",
    );
  }
  while (isSpace(bytes[i])) i++;
  if (i < bytes.length) throw refuse(`${path} byte ${i}`, 'unexpected content after the array');
}

/** The first element of the array in `bytes`, or undefined when it is not an array or its first element is not JSON. */
export function firstElement(bytes: Uint8Array, path: string): unknown {
  try {
    const it = arrayElements(bytes, path);
    const r = it.next();
    return r.done ? undefined : r.value.value;
  } catch {
    return undefined;
  }
}
