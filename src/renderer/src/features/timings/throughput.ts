/**
 * Throughput over time during an import: one sample per import event (messages written, sessions with episodes
 * and with facts), kept for the page's life (the progress strip records them on every view; Timings draws them).
 * Messages/s is the rate between two samples; each layer's progress is a percentage of its total.
 */
import { useSyncExternalStore } from 'react';
import type { ImportJob } from '../../../../shared/app-types';

export interface Sample {
  /** Seconds since the job started. */
  t: number;
  m0: number;
  m1: number;
  m2: number;
}

export interface Run {
  id: string;
  name: string;
  totals: { m0: number; m1: number; m2: number };
  samples: Sample[];
}

const MAX_SAMPLES = 5_000;
let runs: Run[] = [];
const listeners = new Set<() => void>();

export function recordImport(job: ImportJob, now = Date.now()): void {
  let run = runs.find((r) => r.id === job.id);
  if (!run) {
    run = { id: job.id, name: job.name, totals: { m0: 0, m1: 0, m2: 0 }, samples: [{ t: 0, m0: 0, m1: 0, m2: 0 }] };
    runs = [run, ...runs].slice(0, 5);
  }
  const p = job.progress;
  const sample = { t: ((job.finishedAt ?? now) - job.startedAt) / 1000, m0: p.m0.done, m1: p.m1.done, m2: p.m2.done };
  const last = run.samples.at(-1);
  if (last && sample.t < last.t) return;
  const next: Run = {
    ...run,
    totals: { m0: p.m0.total, m1: p.m1.total, m2: p.m2.total },
    samples: [...run.samples, sample].slice(-MAX_SAMPLES),
  };
  runs = runs.map((r) => (r.id === job.id ? next : r));
  for (const l of listeners) l();
}

/** The chart's columns: time, messages/s between samples, and each layer's percentage done. */
export function columns(run: Run): [number[], (number | null)[], number[], number[], number[]] {
  const t: number[] = [];
  const rate: (number | null)[] = [];
  const pct = { m0: [] as number[], m1: [] as number[], m2: [] as number[] };
  run.samples.forEach((s, i) => {
    const prev = run.samples[i - 1];
    t.push(s.t);
    rate.push(prev && s.t > prev.t ? (s.m0 - prev.m0) / (s.t - prev.t) : null);
    for (const l of ['m0', 'm1', 'm2'] as const) pct[l].push(run.totals[l] ? (100 * s[l]) / run.totals[l] : 0);
  });
  return [t, rate, pct.m0, pct.m1, pct.m2];
}

export function useImportRuns(): Run[] {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => runs,
  );
}
