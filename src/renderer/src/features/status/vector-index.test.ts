import { describe, expect, it } from 'vitest';
import type { AnnLayerStatus } from '../../../../shared/types';
import { vectorIndexLabel } from './vector-index';

const m0: AnnLayerStatus = {
  layer: 'm0',
  rows: 100_000,
  generation: 2,
  nlist: 316,
  nprobe: 12,
  recall: 0.962,
  trainedRows: 100_000,
  trainMs: 4200,
  deltaRows: 40,
  bytes: 1,
  rebuilding: false,
};

describe('vectorIndexLabel', () => {
  it('says exact when no layer has an index', () => {
    expect(vectorIndexLabel(undefined).text).toBe('exact search');
    expect(vectorIndexLabel([]).text).toBe('exact search');
  });

  it('names the indexed layer with its nprobe and recall, the others exact', () => {
    const l = vectorIndexLabel([m0]);
    expect(l.text).toBe('m0 IVF nprobe 12/316, recall 0.96 · m1, m2 exact');
    expect(l.title).toContain('100,000 vectors in 316 lists, 12 probed per query, recall@10 0.962');
    expect(l.title).toContain('40 rows not yet packed');
  });

  it('says when the self-check has not run', () => {
    expect(vectorIndexLabel([{ ...m0, recall: null }]).text).toContain('recall not checked yet');
  });
});
