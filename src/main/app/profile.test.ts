import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/fixtures';
import { isProfileTrace } from '../../shared/app-types';
import type { WriteTrace } from '../../shared/types';
import { Engine } from '../engine/engine';
import { profileWrites, splitTrace } from './profile';

let engine: Engine;
let cleanup: () => void;

beforeAll(async () => {
  const t = tempDir('strata-profile-');
  cleanup = t.cleanup;
  engine = await Engine.open({ dataDir: t.dir, embedder: 'hashing', embedWorkers: 1, layers: false });
  await engine.createSession({ id: 's' });
});

afterAll(async () => {
  await engine.close();
  cleanup();
});

describe('the profile action', () => {
  it('runs on its own lane: writes made while it runs stay parallel, and the engine mode never changes', async () => {
    const seen: WriteTrace[] = [];
    engine.watch({ trace: (t) => seen.push(t) });
    const profile = profileWrites(engine, 120, 3);
    const users = Array.from({ length: 12 }, (_, i) =>
      engine.addMessages('s', [{ id: `u${i}`, text: `User message number ${i} about the harbour.` }]),
    );
    const modes: string[] = [];
    const poll = setInterval(() => modes.push(engine.status().mode), 1);
    const [result, ...written] = await Promise.all([profile, ...users]);
    clearInterval(poll);

    expect(new Set(modes)).toEqual(new Set(['parallel']));
    for (const w of written) expect(w.trace.mode).toBe('parallel');
    expect(seen.filter((t) => t.kind === 'm0.addMessages').every((t) => t.mode === 'parallel')).toBe(true);
    const profiled = seen.filter(isProfileTrace);
    expect(profiled.map((t) => `${t.kind}/${t.mode}`).sort()).toEqual([
      ...Array(3).fill('profile.parallel/parallel'),
      ...Array(3).fill('profile.sequential/sequential'),
    ]);
    expect(result).toMatchObject({ rows: 120, rounds: 3 });
    expect(result.sequential.mode).toBe('sequential');
    expect(result.parallel.mode).toBe('parallel');
    for (const mode of ['sequential', 'parallel'] as const) {
      const s = result.stats[mode];
      expect(s.totalMs.min).toBeLessThanOrEqual(s.totalMs.median);
      expect(s.totalMs.median).toBeLessThanOrEqual(s.totalMs.max);
      expect(s.journalMs.median).toBeGreaterThan(0);
      expect(s.fanOutMs.median).toBeGreaterThan(0);
      // The journal and the fan-out are parts of the whole.
      const one = splitTrace(result[mode]);
      expect(one.journalMs + one.fanOutMs).toBeLessThanOrEqual(one.totalMs + 1e-6);
    }
  });

  it('leaves nothing behind: the synthetic rows are gone, the user writes made meanwhile all stay', async () => {
    const stats = await engine.stats();
    expect(stats.layers.filter((l) => l.kind === 'profile')).toEqual([]);
    expect((await engine.list('m0', { kind: 'profile' })).total).toBe(0);
    expect((await engine.listMessages('s')).map((m) => m.id).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `u${i}`).sort(),
    );
    for (const store of ['vector', 'keyword', 'graph'] as const) {
      expect(stats.stores[store].rows).toBe(stats.stores.core.rows + (store === 'graph' ? 1 + 12 : 0));
    }
  });
});
