// Bundles browser mode's server (src/server/serve.ts) to out/server/serve.mjs, so the end-to-end tests and
// `npm run serve:built` start it with plain Node instead of transpiling the whole engine through tsx on every start.
// Native packages and the lazily loaded NLP stay external, as in the worker bundles.
import { build } from 'esbuild';

const started = performance.now();
await build({
  entryPoints: { serve: 'src/server/serve.ts' },
  outdir: 'out/server',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  target: 'node20',
  sourcemap: 'linked',
  packages: 'external',
  logLevel: 'warning',
});
console.log(`server built in ${(performance.now() - started).toFixed(0)} ms → out/server`);
