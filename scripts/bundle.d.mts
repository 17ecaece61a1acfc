import type { BuildOptions } from 'esbuild';

/** Bundles `entryPoints` into `outdir` as `.mjs`; `extra` adds or overrides esbuild options (externals). */
export function bundleForNode(entryPoints: Record<string, string>, outdir: string, extra?: BuildOptions): Promise<void>;
