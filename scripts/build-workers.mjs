// Bundles every worker entry to JavaScript under out/workers. Workers always run
// from these bundles (tests, benchmarks, browser mode and the app), because Node 20
// cannot start a TypeScript worker entry by itself. Native packages stay external, and so do TF.js, compromise and
// chrono: with code splitting, a dynamic import() in a worker becomes a chunk loaded on first use, so a worker that
// never runs USE-lite or the extractor never pays the second of CPU their imports cost.
import { bundleForNode } from './bundle.mjs';

const started = performance.now();
await bundleForNode(
  {
    'store.worker': 'src/main/engine/workers/store.worker.ts',
    'embed.worker': 'src/main/engine/workers/embed.worker.ts',
    'import-parse.worker': 'src/main/app/importers/parse.worker.ts',
    'raw-store.worker': 'bench/raw-store.worker.ts',
  },
  'out/workers',
  { external: ['better-sqlite3', 'sqlite-vec', '@energetic-ai/*', 'compromise', 'chrono-node'] },
);
console.log(`workers built in ${(performance.now() - started).toFixed(0)} ms → out/workers`);
