/** Import jobs: started here, followed through engine events, kept per tab. */
import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import type { ImportInput } from '../../../../shared/app-schema';
import type { ImportJob } from '../../../../shared/app-types';
import { api } from '../../lib/api';

export const importQueries = {
  all: ['imports'] as const,
  /** Jobs started from this window, newest first; events replace each job's entry as it progresses. */
  jobs: () =>
    queryOptions({
      queryKey: [...importQueries.all, 'jobs'] as const,
      queryFn: () => [] as ImportJob[],
      staleTime: Number.POSITIVE_INFINITY,
    }),
};

export function upsertJob(list: ImportJob[] | undefined, job: ImportJob): ImportJob[] {
  const rest = (list ?? []).filter((j) => j.id !== job.id);
  const old = (list ?? []).find((j) => j.id === job.id);
  // Events can overtake the answer that started the job: never move a job backwards.
  if (old && old.state !== 'running' && job.state === 'running') return list ?? [];
  return [job, ...rest].sort((a, b) => b.startedAt - a.startedAt);
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
