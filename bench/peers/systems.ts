/** The systems of the peers benchmark by name; each adapter is imported only by the child process that runs it. */
import type { PeerSystem } from './types';

export const SYSTEMS: Record<string, () => Promise<PeerSystem>> = {
  strata: async () => (await import('./strata')).createStrata(),
  'raw-sqlite': async () => (await import('./raw-sqlite')).createRawSqlite(),
  lancedb: async () => (await import('./lancedb')).createLanceDb(),
  orama: async () => (await import('./orama')).createOrama(),
  vectra: async () => (await import('./vectra')).createVectra(),
  mem0: async () => (await import('./mem0')).createMem0(),
  'server-memory': async () => (await import('./server-memory')).createServerMemory(),
};

export const SYSTEM_NAMES = Object.keys(SYSTEMS);

/** Environment for a system's child process (`dir` is that run's scratch folder). */
export const SYSTEM_ENV: Record<string, (dir: string) => Record<string, string>> = {
  // LanceDB's full-text index build hung at 100,000 items on this 2-core machine until its pool had 4 threads.
  // Telemetry off, and its config file (~/.mem0) kept inside the run folder.
  mem0: (dir) => ({ MEM0_TELEMETRY: 'false', MEM0_DIR: `${dir}/mem0-home` }),
  // Its module starts a stdio server on import, which reads this path; the adapter writes its own file beside it.
  'server-memory': (dir) => ({ MEMORY_FILE_PATH: `${dir}/data/memory.jsonl` }),
  lancedb: () => ({ LANCE_CPU_THREADS: process.env.LANCE_CPU_THREADS ?? '4', LANCEDB_LOG: 'error' }),
};
