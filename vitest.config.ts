import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
    // Real workers and real files: each test file gets its own process. Two files run at once: the files share
    // nothing (each its own temporary folders), and a suite run on 2 cores measured 1.55x less wall time than the
    // sum of its files (at load ~15). The default per-test budget is for a machine five times slower than a loaded
    // one: it bounds a hang, it is not a speed check.
    pool: 'forks',
    // Child-process scripts and the command line are bundled once per run (test/support/build-children.ts).
    globalSetup: ['test/support/build-children.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: true,
    maxWorkers: 2,
    // Tests that do not care about meaning use the instant hashing embedder; embedder tests ask for use-lite.
    env: { STRATA_EMBEDDER: 'hashing' },
  },
});
