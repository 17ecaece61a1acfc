import { describe, expect, it } from 'vitest';
import type { Span, WriteTrace } from '../../../../shared/types';
import { timeSentence, timeShares } from './insight';

const span = (stage: string, start: number, durationMs: number, store?: Span['store']): Span => ({
  stage,
  start,
  durationMs,
  rows: 10,
  threadId: 1,
  status: 'ok',
  ...(store && { store }),
});

const trace = (id: string, kind: string, totalMs: number, spans: Span[]): WriteTrace => ({
  id,
  kind,
  mode: 'parallel',
  startedAt: 0,
  totalMs,
  rows: 10,
  seq: 1,
  spans,
});

describe('where the time of writes goes', () => {
  it('counts parallel store spans once and names the largest share first', () => {
    const t = trace('a', 'm0.addMessages', 100, [
      span('embed', 0, 70),
      span('store', 70, 10, 'core'),
      span('store', 80, 20, 'vector'),
      span('store', 82, 15, 'keyword'),
      span('store', 85, 10, 'graph'),
    ]);
    const { shares } = timeShares([t]);
    expect(shares.map((s) => [s.phase, s.ms])).toEqual([
      ['embedding', 70],
      ['the store fan-out', 20],
      ['the journal', 10],
    ]);
    expect(timeSentence([t])).toBe(
      'Over the last write, embedding is 70 % of write time; then the store fan-out (20 %) and the journal (10 %).',
    );
  });

  it('leaves synthetic profile writes out, and says nothing with no writes', () => {
    const profile = trace('p', 'profile.parallel', 50, [span('store', 0, 50, 'vector')]);
    expect(timeSentence([profile])).toBeNull();
    const real = trace('r', 'm0.addMessages', 10, [span('store', 0, 10, 'core')]);
    expect(timeSentence([profile, real])).toBe('Over the last write, the journal is 100 % of write time.');
  });
});
