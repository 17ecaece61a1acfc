/**
 * The static word model's file format and its tokeniser: one versioned binary
 * (`models/static-en-512.bin`) written by `npm run build:embedder` and read by
 * the static embedder. Both sides of the format live here so they cannot drift.
 *
 * Layout (little-endian):
 *   magic "STRATAWM" · u32 format version · u32 header length · header (UTF-8 JSON) · body
 *   body = u32 words length · words (UTF-8, one per line) · zero padding to 4 bytes ·
 *          f32 scale[vocab] · f32 weight[vocab] · i8 rows[vocab × dim]
 * The header names the dimension, the vocabulary size, the sources and their versions, and the SHA-256 of the
 * body, so a truncated, edited or foreign file is refused with the file named rather than read as garbage.
 */
import { createHash } from 'node:crypto';
import { StrataError } from '../../../shared/errors';

export const STATIC_MAGIC = 'STRATAWM';
export const STATIC_FORMAT_VERSION = 1;

export interface StaticHeader {
  format: number;
  dim: number;
  vocab: number;
  /** Where the vectors and the word list came from, with versions, for the NOTICE and for rebuilds. */
  sources: { vectors: string; words: string };
  /** How a text's words are weighted: SIF, a / (a + p(word)); `p` says where p(word) came from. */
  weighting: { scheme: 'sif'; p: string; a: number; zipfVocab: number };
  quantisation: 'int8-row-scale';
  sha256: string;
}

export interface StaticModelData {
  header: StaticHeader;
  words: string[];
  /** Per row: the int8 values times scale give the word's unit vector. */
  scales: Float32Array;
  /** Per row: the word's SIF weight. */
  weights: Float32Array;
  rows: Int8Array;
}

const corrupt = (file: string, reason: string, details: Record<string, unknown> = {}): StrataError =>
  new StrataError('STORE_CORRUPT', `static embedder model ${file}: ${reason}`, { file, ...details });

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/** Serialises a model; deterministic (no timestamps, fixed key order), so a rebuild is byte for byte the same. */
export function encodeStaticModel(
  data: Omit<StaticModelData, 'header'> & { header: Omit<StaticHeader, 'sha256' | 'vocab' | 'format'> },
): Buffer {
  const { words, scales, weights, rows } = data;
  const dim = data.header.dim;
  if (scales.length !== words.length || weights.length !== words.length || rows.length !== words.length * dim) {
    throw new StrataError('INVALID_INPUT', 'static model: words, scales, weights and rows disagree in length');
  }
  const wordBytes = Buffer.from(words.join('\n'), 'utf8');
  const lenBuf = Buffer.alloc(4);
  lenBuf.writeUInt32LE(wordBytes.length);
  const body = Buffer.concat([
    lenBuf,
    wordBytes,
    Buffer.alloc(pad4(wordBytes.length)),
    Buffer.from(scales.buffer, scales.byteOffset, scales.byteLength),
    Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength),
    Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength),
  ]);
  const header: StaticHeader = {
    format: STATIC_FORMAT_VERSION,
    dim,
    vocab: words.length,
    sources: data.header.sources,
    weighting: data.header.weighting,
    quantisation: data.header.quantisation,
    sha256: createHash('sha256').update(body).digest('hex'),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(16);
  head.write(STATIC_MAGIC, 0, 'latin1');
  head.writeUInt32LE(STATIC_FORMAT_VERSION, 8);
  head.writeUInt32LE(headerBytes.length, 12);
  // The body starts 4-aligned so its float arrays can be viewed in place.
  return Buffer.concat([head, headerBytes, Buffer.alloc(pad4(headerBytes.length)), body]);
}

/** Parses and checks a model file's bytes; every failure is a typed error naming `file` and what was wrong. */
export function decodeStaticModel(buf: Buffer, file: string, opts: { verifyHash?: boolean } = {}): StaticModelData {
  if (buf.length < 16) throw corrupt(file, `truncated: ${buf.length} bytes, shorter than the 16-byte preamble`);
  if (buf.toString('latin1', 0, 8) !== STATIC_MAGIC) {
    throw corrupt(file, 'not a static word model (the file does not start with "STRATAWM")', { offset: 0 });
  }
  const format = buf.readUInt32LE(8);
  if (format !== STATIC_FORMAT_VERSION) {
    throw corrupt(file, `format version ${format}, this build reads version ${STATIC_FORMAT_VERSION}`, {
      offset: 8,
      format,
    });
  }
  const headerLen = buf.readUInt32LE(12);
  if (16 + headerLen > buf.length) throw corrupt(file, `truncated inside the header (${buf.length} bytes)`);
  let header: StaticHeader;
  try {
    header = JSON.parse(buf.toString('utf8', 16, 16 + headerLen)) as StaticHeader;
  } catch {
    throw corrupt(file, 'the header is not valid JSON', { offset: 16 });
  }
  const { dim, vocab } = header;
  if (!Number.isInteger(dim) || dim < 1 || dim > 8192 || !Number.isInteger(vocab) || vocab < 1) {
    throw corrupt(file, `header has an invalid dim (${dim}) or vocab (${vocab})`, { offset: 16 });
  }
  const bodyStart = 16 + headerLen + pad4(headerLen);
  if (bodyStart + 4 > buf.length) throw corrupt(file, `truncated before the word list (${buf.length} bytes)`);
  const wordsLen = buf.readUInt32LE(bodyStart);
  const scalesAt = bodyStart + 4 + wordsLen + pad4(wordsLen);
  const expected = scalesAt + vocab * 8 + vocab * dim;
  if (buf.length !== expected) {
    throw corrupt(file, `${buf.length} bytes where the header describes ${expected} (truncated or foreign)`, {
      bytes: buf.length,
      expected,
    });
  }
  if (opts.verifyHash !== false) {
    const sha = createHash('sha256').update(buf.subarray(bodyStart)).digest('hex');
    if (sha !== header.sha256) throw corrupt(file, 'content hash does not match its header (the file was altered)');
  }
  const words = buf.toString('utf8', bodyStart + 4, bodyStart + 4 + wordsLen).split('\n');
  if (words.length !== vocab) throw corrupt(file, `${words.length} words where the header says ${vocab}`);
  // Views need 4-byte alignment of the underlying memory: copy once if the buffer came unaligned.
  const aligned = buf.byteOffset % 4 === 0 ? buf : Buffer.from(buf);
  const base = aligned.byteOffset;
  return {
    header,
    words,
    scales: new Float32Array(aligned.buffer, base + scalesAt, vocab),
    weights: new Float32Array(aligned.buffer, base + scalesAt + vocab * 4, vocab),
    rows: new Int8Array(aligned.buffer, base + scalesAt + vocab * 8, vocab * dim),
  };
}

/** Apostrophe look-alikes folded to "'" so "don’t" and "don't" are the same word at write and at query time. */
const APOSTROPHES = /[\u2018\u2019\u201b\u02bc\u2032\uff07`]/g;
const WORD = /[\p{L}\p{M}\p{N}]+(?:'[\p{L}\p{M}\p{N}]+)*/gu;

/**
 * A text's words as the static model knows them: NFKC, lower case, runs of letters, marks and digits, with inner
 * apostrophes kept ("don't", "caroline's"). Punctuation, symbols and emoji are separators.
 */
export function staticTokens(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().replace(APOSTROPHES, "'").match(WORD) ?? [];
}

/** Clitics the word list keeps as words of their own (GloVe's tokenisation splits them off). */
export const CLITICS = ["'s", "n't", "'m", "'re", "'ve", "'ll", "'d"] as const;

/** How an out-of-vocabulary word with an apostrophe splits: "don't" → do + n't, "caroline's" → caroline + 's. */
export function splitClitic(word: string): [string, string] | null {
  if (word.endsWith("n't") && word.length > 3) return [word.slice(0, -3), "n't"];
  const at = word.indexOf("'");
  return at > 0 ? [word.slice(0, at), word.slice(at)] : null;
}
