// The one esbuild set-up for code Node runs from out/ (the worker threads, browser mode's server): ES modules for
// Node 20, split so a dynamic import() becomes a chunk loaded on first use, with linked source maps.
import { build } from 'esbuild';

/** Bundles `entryPoints` into `outdir` as `.mjs`; `extra` adds or overrides esbuild options (externals). */
export async function bundleForNode(entryPoints, outdir, extra) {
  await build({
    entryPoints,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    ...extra,
  });
}
