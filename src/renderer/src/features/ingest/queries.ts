/** Import jobs and previews: started here, followed through engine events, kept per tab. */
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ImportInput } from '../../../../shared/app-schema';
import type { ImportJob } from '../../../../shared/app-types';
import { api } from '../../lib/api';
import { useStrataEvent } from '../../lib/events';

export const importQueries = {
  all: ['imports'] as const,
  /** Jobs started from this window, newest first; events replace each job's entry as it progresses. */
  jobs: () =>
    queryOptions({
      queryKey: [...importQueries.all, 'jobs'] as const,
      queryFn: () => [] as ImportJob[],
      staleTime: Number.POSITIVE_INFINITY,
      // Kept while no view shows it: the list is built from events, and there is nothing to fetch it back from.
      gcTime: Number.POSITIVE_INFINITY,
    }),
};

/**
 * Keeps the job list current from engine events whichever view is open (mounted once, by the app): leaving Ingest
 * during an import and coming back shows where the job is now, not where it was when the view was left.
 */
export function useImportJobsSync(): void {
  const qc = useQueryClient();
  useStrataEvent((e) => {
    if (e.type !== 'import') return;
    qc.setQueryData(importQueries.jobs().queryKey, (l) => upsertJob(l, e.job));
    if (e.job.state !== 'running') void qc.invalidateQueries({ queryKey: [...importQueries.all, 'preview'] });
  });
}

export function upsertJob(list: ImportJob[] | undefined, job: ImportJob): ImportJob[] {
  const rest = (list ?? []).filter((j) => j.id !== job.id);
  const old = (list ?? []).find((j) => j.id === job.id);
  // Events can overtake the answer that started the job: never move a job backwards.
  if (old && old.state !== 'running' && job.state === 'running') return list ?? [];
  if (old?.removed && !job.removed) return list ?? [];
  return [job, ...rest].sort((a, b) => b.startedAt - a.startedAt);
}

/** The input, settled for `ms` (typing in the content box does not ask for a preview on every key). */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

/**
 * A key for an input that does not hold its content: React Query hashes a query key (JSON) on every render that
 * uses it, and a picked file's content is megabytes (a 2.8 MB LoCoMo file made each render of Ingest a long task
 * while an import's events re-rendered it). Each distinct input gets a number; the content is compared by identity
 * first, which is how an unchanged input comes back from useMemo.
 */
export function inputKey(input: ImportInput | null, last: { input: ImportInput | null; key: number }): number {
  if (input === last.input) return last.key;
  const same =
    input !== null &&
    last.input !== null &&
    input.content === last.input.content &&
    JSON.stringify({ ...input, content: '' }) === JSON.stringify({ ...last.input, content: '' });
  last.input = input;
  if (!same) last.key++;
  return last.key;
}

/** What the input would write, asked again whenever the input changes (and after every import). */
export function useImportPreview(input: ImportInput | null) {
  const last = useRef<{ input: ImportInput | null; key: number }>({ input: null, key: 0 });
  const key = inputKey(input, last.current);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new key is a new input; the same key, the same input.
  const pending = useMemo(() => ({ input, key }), [key]);
  const settled = useSettled(pending, 300);
  return useQuery({
    queryKey: [...importQueries.all, 'preview', settled.key] as const,
    queryFn: () => api.previewImport(settled.input as ImportInput),
    enabled: settled.input !== null,
    retry: false,
    staleTime: 0,
  });
}

export function useStartImport() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: ImportInput) => api.startImport(input),
    onSuccess: (job) => qc.setQueryData(importQueries.jobs().queryKey, (l) => upsertJob(l, job)),
  });
}

export function useCancelImport() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (jobId: string) => api.cancelImport(jobId),
    onSuccess: (job) => qc.setQueryData(importQueries.jobs().queryKey, (l) => upsertJob(l, job)),
  });
}

export function useRemoveImport() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (jobId: string) => api.removeImport(jobId),
    onSuccess: (r) => {
      qc.setQueryData(importQueries.jobs().queryKey, (l) => upsertJob(l, r.job));
      void qc.invalidateQueries({ queryKey: [...importQueries.all, 'preview'] });
    },
  });
}
