/**
 * The journal's vector column: each item's vector as IEEE half floats (2 bytes a dimension, half of float32).
 * Measured on LoCoMo's 3,944 turns with the static embedder (339 questions, exact top-10): float16 keeps recall@10
 * 0.9985 of float32's, int8 with a per-vector scale only 0.9835, so float16 it is. The stores are given the decoded
 * vectors (`roundToHalf` on the live path), so what a store holds live is bit for bit what replay and rebuild decode.
 * Files written before this hold float32 blobs (4 bytes a dimension); the length tells them apart (2·dim ≠ 4·dim).
 */
import { StrataError } from '../../../shared/errors';

let table: Float32Array | null = null;

/** All 65,536 half floats as float32: decoding is one lookup a dimension. */
function halfTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65_536);
  for (let h = 0; h < 65_536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) table[h] = sign * frac * 2 ** -24;
    else if (exp === 31) table[h] = frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else table[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return table;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → half, rounding to nearest, ties to even (subnormals kept, overflow to infinity). */
export function toHalf(x: number): number {
  f32[0] = x;
  return halfOfBits(u32[0] as number);
}

/** The half float nearest to the float32 whose bit pattern is `u`. */
function halfOfBits(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 112; // re-biased: 127 − 15
  let mant = u & 0x7fffff;
  if (exp >= 31) return (u & 0x7fffffff) > 0x7f800000 ? 0x7e00 : sign | 0x7c00; // NaN, or too large: infinity
  if (exp <= 0) {
    if (exp < -10) return sign; // below half the smallest subnormal
    mant |= 0x800000;
    const shift = 14 - exp;
    let h = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // a carry into the exponent is the right rounding too
  return sign | h;
}

/**
 * The bulk path's encoder: the `count` vectors of `src` as one half-float buffer, each vector's blob a view into it
 * (no buffer per vector), and `src` rounded in place to the floats those halves decode to, so the op that carries
 * `src` on to the stores holds what a replay decodes. One pass over the bits (no scratch store and load per float).
 */
export function encodeVectors(src: Float32Array, count: number, dim: number): Buffer[] {
  const n = count * dim;
  const halves = new Uint16Array(n);
  const bits = new Uint32Array(src.buffer, src.byteOffset, n);
  const t = halfTable();
  for (let j = 0; j < n; j++) {
    const h = halfOfBits(bits[j] as number);
    halves[j] = h;
    src[j] = t[h] as number;
  }
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) out.push(Buffer.from(halves.buffer, i * dim * 2, dim * 2));
  return out;
}

/** Encodes `dim` floats from `src` at `offset` as a half-float blob. */
export function encodeVector(src: Float32Array, offset: number, dim: number): Buffer {
  const halves = new Uint16Array(dim);
  for (let j = 0; j < dim; j++) halves[j] = toHalf(src[offset + j] as number);
  // Little-endian, as every platform Strata runs on stores a Uint16Array.
  return Buffer.from(halves.buffer, 0, dim * 2);
}

/**
 * Decodes a journal blob into `out` at `at`: half floats, or float32 from a file written before half floats.
 * Any other length is a damaged row, named as such.
 */
export function decodeVector(blob: Buffer, dim: number, out: Float32Array, at: number): void {
  if (blob.length === dim * 2) {
    const t = halfTable();
    // SQLite's blob may start at an odd address: a Uint16Array view needs an even one.
    const halves =
      blob.byteOffset % 2 === 0
        ? new Uint16Array(blob.buffer, blob.byteOffset, dim)
        : new Uint16Array(new Uint8Array(blob).buffer, 0, dim);
    for (let j = 0; j < dim; j++) out[at + j] = t[halves[j] as number] as number;
    return;
  }
  if (blob.length === dim * 4) {
    const bytes = new Uint8Array(out.buffer, out.byteOffset + at * 4, dim * 4);
    bytes.set(blob);
    return;
  }
  throw new StrataError(
    'STORE_CORRUPT',
    `core.db: a vector of ${blob.length} bytes where ${dim * 2} (float16) or ${dim * 4} (float32) were expected`,
    { file: 'core.db', bytes: blob.length, dim },
  );
}

/** Rounds every float to its nearest half float, in place: the live op then carries what the journal decodes. */
export function roundToHalf(v: Float32Array): void {
  const t = halfTable();
  for (let i = 0; i < v.length; i++) v[i] = t[toHalf(v[i] as number)] as number;
}
