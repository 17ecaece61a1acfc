/**
 * What one isolate reports of its own memory (`stats().memory`): V8's heap statistics, the SQLite connections it
 * holds open with their page-cache bounds, and the IVF cells it caches. Worker threads share one process, so its RSS
 * cannot be split per thread; each isolate answers the MEMORY_METHOD request itself (store.worker, embed.worker).
 * Imports nothing but Node's own modules: the embed worker, which opens no database, must not load SQLite for it.
 */

import { getHeapStatistics } from 'node:v8';
import { threadId } from 'node:worker_threads';
import type { IsolateMemory } from '../../../shared/types';

/** The request every worker answers before its role's table (no `open` needed). */
export const MEMORY_METHOD = '__memory';

const mb = (bytes: number) => Number((bytes / 2 ** 20).toFixed(1));

/** `caches` come from the caller (the SQLite workers pass their connections and IVF cells). */
export function isolateMemory(
  isolate: string,
  caches: Pick<IsolateMemory, 'connections' | 'annCacheMb'> = { connections: [], annCacheMb: 0 },
): IsolateMemory {
  const h = getHeapStatistics();
  return {
    isolate,
    threadId,
    heapUsedMb: mb(h.used_heap_size),
    heapTotalMb: mb(h.total_heap_size),
    externalMb: mb(h.external_memory ?? process.memoryUsage().external),
    ...caches,
  };
}

/** Bytes as the report's MiB. */
export function toMb(bytes: number): number {
  return mb(bytes);
}
