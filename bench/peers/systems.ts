/** The systems of the peers benchmark by name; each adapter is imported only by the child process that runs it. */
import type { PeerSystem } from './types';

export const SYSTEMS: Record<string, () => Promise<PeerSystem>> = {
  strata: async () => (await import('./strata')).createStrata(),
  'raw-sqlite': async () => (await import('./raw-sqlite')).createRawSqlite(),
};

export const SYSTEM_NAMES = Object.keys(SYSTEMS);

/** Environment for a system's child process (`dir` is that run's scratch folder). */
export const SYSTEM_ENV: Record<string, (dir: string) => Record<string, string>> = {};
