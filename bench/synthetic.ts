import { cpus, totalmem } from 'node:os';
import { rng } from '../src/shared/rng';

/** Deterministic synthetic chunks (about 600 characters, unit-length vectors) shared by the benchmarks. */

const VOCAB = (
  'memory layer episode fact entity relation graph vector keyword store journal worker thread parallel session ' +
  'message chunk trace sqlite index query fusion recall timestamp speaker provenance summary yesterday morning ' +
  'Caroline Melanie painting camping adoption support group guitar museum beach kids school career counseling ' +
  'birthday concert library garden coffee project deadline weekend travel family friend dinner recipe running'
).split(' ');

export interface SyntheticChunks {
  ids: string[];
  texts: string[];
  vectors: Float32Array;
  dim: number;
}

export function syntheticChunks(n: number, dim: number, seed = 42, chars = 600): SyntheticChunks {
  const next = rng(seed);
  const ids: string[] = [];
  const texts: string[] = [];
  const vectors = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    ids.push(`chunk-${i}`);
    let t = `Speaker ${i % 7}:`;
    while (t.length < chars) t += ` ${VOCAB[Math.floor(next() * VOCAB.length)]}`;
    texts.push(t);
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = next() * 2 - 1;
      vectors[i * dim + d] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < dim; d++) vectors[i * dim + d] = (vectors[i * dim + d] as number) / norm;
  }
  return { ids, texts, vectors, dim };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}

export function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) continue;
    const [k, v] = a.slice(2).split('=');
    if (v !== undefined) out.set(k as string, v);
    else if (argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('--'))
      out.set(k as string, argv[++i] as string);
    else out.set(k as string, 'true');
  }
  return out;
}

/** The machine a benchmark ran on, recorded beside its figures. */
export function machineInfo(): { cores: number; cpu: string; mem_gb: number; node: string } {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    mem_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}
