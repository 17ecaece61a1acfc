/**
 * The WebAssembly SIMD dot-product kernel, assembled here from its instructions (no toolchain, nothing fetched at
 * run time): `dots(rows, n, q, dim, out)` writing `out[i] = rows[i]·q` for `n` rows of `dim` f32 (dim a multiple of
 * 16) with four f32x4 accumulators, `dots8` the same over int8 codes (the quantised first pass), and its memory. The module is a few hundred bytes,
 * compiled once per isolate; each caller gets its own instance (its own memory), so a scorer keeps its rows
 * resident while another scores cells. Returns null where WebAssembly SIMD is unavailable (the JS loop serves).
 */

const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'utf8')];

// Instructions used by the body.
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const tee = (i: number) => [0x22, ...uleb(i)];
const i32c = (v: number) => [0x41, ...sleb(v)];
const I32_ADD = [0x6a];
const I32_SHL = [0x74];
const I32_LT_U = [0x49];
const I32_GE_U = [0x4f];
const F32_ADD = [0x92];
const f32Store = [0x38, 2, 0];
const v128Load = (offset: number) => [0xfd, 0x00, 2, ...uleb(offset)];
const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const F32X4_ADD = [0xfd, ...uleb(0xe4)];
const F32X4_MUL = [0xfd, ...uleb(0xe6)];
const lane = (l: number) => [0xfd, 0x1f, l];
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const brIf = (depth: number) => [0x0d, depth];
const br = (depth: number) => [0x0c, depth];

const I32X4_ADD = [0xfd, ...uleb(0xae)];
const I32X4_DOT_I16X8 = [0xfd, ...uleb(0xba)];
const I16X8_EXTEND_LOW_I8X16 = [0xfd, ...uleb(0x87)];
const I16X8_EXTEND_HIGH_I8X16 = [0xfd, ...uleb(0x88)];
const i32Lane = (l: number) => [0xfd, 0x1b, l];
const i32Store = [0x36, 2, 0];

/**
 * `dots8(rows, n, q, dim, out)`: `out[i]` (i32) = rows[i]·q for `n` rows of `dim` int8 codes against a query of
 * `dim` int16 values (the int8 query codes widened once), dim a multiple of 16. Sums are exact integers (|sum| ≤
 * dim·127², far inside i32), so the order of additions does not matter.
 */
function dots8Body(): number[] {
  // Params: 0 rows, 1 n, 2 q, 3 dim, 4 out. Locals: 5 i, 6 cursor, 7 rowEnd, 8 qp; 9, 10 accumulators, 11 the codes.
  const [ROWS, N, Q, DIM, OUT, I, C, END_, QP] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [A0, A1, R] = [9, 10, 11];
  return [
    ...vec([
      [4, I32],
      [3, V128],
    ]),
    ...get(ROWS),
    ...set(C),
    ...BLOCK,
    ...LOOP,
    ...get(I),
    ...get(N),
    ...I32_GE_U,
    ...brIf(1),
    ...V128_ZERO,
    ...set(A0),
    ...V128_ZERO,
    ...set(A1),
    ...get(C),
    ...get(DIM),
    ...I32_ADD,
    ...set(END_),
    ...get(Q),
    ...set(QP),
    ...LOOP,
    ...get(C),
    ...v128Load(0),
    ...set(R),
    ...get(A0),
    ...get(R),
    ...I16X8_EXTEND_LOW_I8X16,
    ...get(QP),
    ...v128Load(0),
    ...I32X4_DOT_I16X8,
    ...I32X4_ADD,
    ...set(A0),
    ...get(A1),
    ...get(R),
    ...I16X8_EXTEND_HIGH_I8X16,
    ...get(QP),
    ...v128Load(16),
    ...I32X4_DOT_I16X8,
    ...I32X4_ADD,
    ...set(A1),
    ...get(QP),
    ...i32c(32),
    ...I32_ADD,
    ...set(QP),
    ...get(C),
    ...i32c(16),
    ...I32_ADD,
    ...tee(C),
    ...get(END_),
    ...I32_LT_U,
    ...brIf(0),
    ...END,
    // out[i] = the four lanes of a0 + a1
    ...get(OUT),
    ...get(I),
    ...i32c(2),
    ...I32_SHL,
    ...I32_ADD,
    ...get(A0),
    ...get(A1),
    ...I32X4_ADD,
    ...tee(A0),
    ...i32Lane(0),
    ...get(A0),
    ...i32Lane(1),
    ...I32_ADD,
    ...get(A0),
    ...i32Lane(2),
    ...I32_ADD,
    ...get(A0),
    ...i32Lane(3),
    ...I32_ADD,
    ...i32Store,
    ...get(I),
    ...i32c(1),
    ...I32_ADD,
    ...set(I),
    ...br(0),
    ...END,
    ...END,
    ...END,
  ];
}

/** The bytes of the module (exported for the test that pins its size and validity). */
export function dotModuleBytes(): Uint8Array {
  // Params: 0 rows, 1 n, 2 q, 3 dim, 4 out (byte addresses / counts). Locals: 5 i, 6 cursor, 7 rowEnd, 8 qp,
  // 9 stride (bytes); 10..13 the four accumulators.
  const [ROWS, N, Q, DIM, OUT, I, C, END_, QP, STRIDE] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const acc = [10, 11, 12, 13];
  const body = [
    ...vec([
      [5, I32],
      [4, V128],
    ]),
    ...get(DIM),
    ...i32c(2),
    ...I32_SHL,
    ...set(STRIDE),
    ...get(ROWS),
    ...set(C),
    ...BLOCK,
    ...LOOP,
    ...get(I),
    ...get(N),
    ...I32_GE_U,
    ...brIf(1),
    ...acc.flatMap((a) => [...V128_ZERO, ...set(a)]),
    ...get(C),
    ...get(STRIDE),
    ...I32_ADD,
    ...set(END_),
    ...get(Q),
    ...set(QP),
    ...LOOP,
    ...acc.flatMap((a, j) => [
      ...get(a),
      ...get(C),
      ...v128Load(16 * j),
      ...get(QP),
      ...v128Load(16 * j),
      ...F32X4_MUL,
      ...F32X4_ADD,
      ...set(a),
    ]),
    ...get(C),
    ...i32c(64),
    ...I32_ADD,
    ...tee(C),
    ...get(QP),
    ...i32c(64),
    ...I32_ADD,
    ...set(QP),
    ...get(END_),
    ...I32_LT_U,
    ...brIf(0),
    ...END,
    // out[i] = horizontal sum of (a0 + a1) + (a2 + a3)
    ...get(OUT),
    ...get(I),
    ...i32c(2),
    ...I32_SHL,
    ...I32_ADD,
    ...get(acc[0] as number),
    ...get(acc[1] as number),
    ...F32X4_ADD,
    ...get(acc[2] as number),
    ...get(acc[3] as number),
    ...F32X4_ADD,
    ...F32X4_ADD,
    ...tee(acc[0] as number),
    ...lane(0),
    ...get(acc[0] as number),
    ...lane(1),
    ...F32_ADD,
    ...get(acc[0] as number),
    ...lane(2),
    ...F32_ADD,
    ...get(acc[0] as number),
    ...lane(3),
    ...F32_ADD,
    ...f32Store,
    ...get(I),
    ...i32c(1),
    ...I32_ADD,
    ...set(I),
    ...br(0),
    ...END,
    ...END,
    ...END,
  ];
  const body8 = dots8Body();
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0]])),
    ...section(3, vec([[0], [0]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(
      7,
      vec([
        [...name('dots'), 0x00, 0],
        [...name('dots8'), 0x00, 1],
        [...name('memory'), 0x02, 0],
      ]),
    ),
    ...section(
      10,
      vec([
        [...uleb(body.length), ...body],
        [...uleb(body8.length), ...body8],
      ]),
    ),
  ];
  return Uint8Array.from(bytes);
}

/** The part of the WebAssembly API used here (the node lib's typings do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

/** The compiled module, or null when this runtime has no WebAssembly SIMD (or STRATA_ANN_KERNEL=js asks for JS). */
export function dotModule(): object | null {
  if (compiled !== undefined) return compiled;
  let m: object | null = null;
  if (process.env.STRATA_ANN_KERNEL !== 'js' && wasm) {
    try {
      const bytes = dotModuleBytes();
      if (wasm.validate(bytes)) m = new wasm.Module(bytes);
    } catch {
      m = null;
    }
  }
  compiled = m;
  return m;
}

export interface DotInstance {
  dots: (rows: number, n: number, q: number, dim: number, out: number) => void;
  /** int8 rows · int16 query → i32 sums (see dots8Body). */
  dots8: (rows: number, n: number, q: number, dim: number, out: number) => void;
  memory: WasmMemory;
}

/** A fresh instance with its own memory, or null when the module is unavailable. */
export function dotInstance(): DotInstance | null {
  const m = dotModule();
  if (!m || !wasm) return null;
  const e = new wasm.Instance(m).exports as unknown as DotInstance;
  return { dots: e.dots, dots8: e.dots8, memory: e.memory };
}
