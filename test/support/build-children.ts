/**
 * Vitest's global set-up: bundles the scripts tests run as child processes (test/support/*-child.ts) to
 * out/test-children, and the command line to out/cli, so each child starts with plain Node instead of transpiling
 * the engine through tsx (about a second of CPU per start; the kill tests start dozens). Every chunk sits beside
 * its entry, two folders below the root as test/support is, so the children's paths relative to their own module
 * (the LoCoMo file in ../shared, out/workers) resolve as they do from the sources.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bundleForNode } from '../../scripts/bundle.mjs';

const ROOT = join(import.meta.dirname, '..', '..');

export default async function setup(): Promise<void> {
  const children = Object.fromEntries(
    readdirSync(join(ROOT, 'test', 'support'))
      .filter((f) => f.endsWith('-child.ts'))
      .map((f) => [f.replace(/\.ts$/, ''), join(ROOT, 'test', 'support', f)]),
  );
  await bundleForNode(children, join(ROOT, 'out', 'test-children'), {
    packages: 'external',
    chunkNames: '[name]-[hash]',
  });
  await import('../../scripts/build-cli.mjs');
}
