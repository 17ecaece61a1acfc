import { afterEach, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import { StorageManager } from './manager';

const DIM = 8;
let cleanup: (() => Promise<void>) | null = null;

afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

// Regression: a trace flush in progress (idle maintenance, or another listTraces) took the pending traces, and a
// second listTraces found nothing pending, read at once, and missed them (the Timings view lost its first writes).
it('listTraces sees every trace made before it, even while another flush is writing them', async () => {
  const t = tempDir();
  const m = await StorageManager.open({ dataDir: t.dir, dim: DIM });
  cleanup = async () => {
    await m.close();
    t.cleanup();
  };
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await m.writeToAll({
      items: [{ id: `c${i}`, layer: 'm0', kind: 'chunk', sessionId: null, text: `chunk ${i}`, sources: [] }],
      vectors: new Float32Array(DIM).fill(0.5),
      kind: `write-${i}`,
    });
    ids.push(res.trace.id);
  }
  const [first, second, third] = await Promise.all([m.listTraces(), m.listTraces(), m.listTraces()]);
  for (const list of [first, second, third]) {
    expect(list?.map((tr) => tr.id)).toEqual([...ids].reverse());
  }
});
