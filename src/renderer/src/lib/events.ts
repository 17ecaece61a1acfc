/** Engine events as React state: one subscription per listener, dropped on unmount. */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { StrataEvent } from '../../../shared/app-types';
import { api } from './api';

export function useStrataEvent(listener: (e: StrataEvent) => void): void {
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => api.subscribe((e) => ref.current(e)), []);
}

/**
 * Keeps cached reads fresh while the engine writes: any write trace or finished import marks the listed
 * query families stale, at most once per `everyMs`.
 */
export function useInvalidateOnWrites(keys: readonly (readonly unknown[])[], everyMs = 1_000): void {
  const qc = useQueryClient();
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useStrataEvent((e) => {
    if (e.type === 'status') return;
    const run = () => {
      last.current = Date.now();
      timer.current = null;
      for (const k of keys) void qc.invalidateQueries({ queryKey: k });
    };
    const wait = everyMs - (Date.now() - last.current);
    if (wait <= 0) run();
    else if (!timer.current) timer.current = setTimeout(run, wait);
  });
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
}
