import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
    // Real workers and real files: give each test file its own process and time to spin workers up.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    // Tests that do not care about meaning use the instant hashing embedder; embedder tests ask for use-lite.
    env: { STRATA_EMBEDDER: 'hashing' },
  },
});
