/**
 * The "profile" action: one synthetic batch of chunks written through the storage manager in sequential mode,
 * then the same batch in parallel mode, then removed, so the two traces can be shown side by side. The mode is
 * the manager's, so a write arriving meanwhile runs in the mode of the moment; profiles run one at a time.
 */
import { randomUUID } from 'node:crypto';
import type { ProfileResult } from '../../shared/app-types';
import { rng } from '../../shared/rng';
import type { WriteTrace } from '../../shared/types';
import type { Engine } from '../engine/engine';

const WORDS = ['river', 'lamp', 'garden', 'violin', 'harbour', 'letter', 'market', 'winter', 'orchard', 'signal'];

function batch(rows: number, dim: number, tag: string) {
  const rnd = rng(rows * 7919 + dim);
  const items = Array.from({ length: rows }, (_, i) => ({
    id: `profile:${tag}:${i}`,
    layer: 'm0' as const,
    kind: 'profile',
    sessionId: null,
    text: Array.from({ length: 24 }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(' '),
    sources: [],
  }));
  const vectors = new Float32Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = rnd() * 2 - 1;
      vectors[i * dim + d] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dim; d++) vectors[i * dim + d] = (vectors[i * dim + d] as number) / norm;
  }
  return { items, vectors };
}

let running: Promise<unknown> = Promise.resolve();

export function profileWrites(engine: Engine, rows = 500): Promise<ProfileResult> {
  const next = running.then(() => profileNow(engine, rows));
  running = next.catch(() => undefined);
  return next;
}

async function profileNow(engine: Engine, rows: number): Promise<ProfileResult> {
  const storage = engine.storage;
  const before = storage.mode;
  const traces: Partial<Record<'sequential' | 'parallel', WriteTrace>> = {};
  const written: string[] = [];
  try {
    for (const mode of ['sequential', 'parallel'] as const) {
      const { items, vectors } = batch(rows, storage.dim, `${mode}:${randomUUID()}`);
      storage.mode = mode;
      const res = await storage.writeToAll({ items, vectors, kind: `profile.${mode}`, layer: 'm0' });
      written.push(...items.map((it) => it.id));
      traces[mode] = res.trace;
    }
  } finally {
    storage.mode = before;
    if (written.length > 0) await storage.deleteItems(written);
  }
  const sequential = traces.sequential as WriteTrace;
  const parallel = traces.parallel as WriteTrace;
  return { rows, sequential, parallel, ratio: parallel.totalMs > 0 ? sequential.totalMs / parallel.totalMs : 0 };
}
