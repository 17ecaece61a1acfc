#!/usr/bin/env node
// The `strata` launcher (package.json "bin"): runs the CLI from its bundle while that is newer than the sources, else
// through tsx (launch.mjs), so a clone needs no build step for the CLI itself; the worker bundles the engine starts
// are built once if they are missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from './launch.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
if (!existsSync(join(root, 'out', 'workers', 'embed.worker.mjs'))) {
  // Progress of the build goes to stderr: stdout stays the command's own (--json).
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-workers.mjs')], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
  if (r.status !== 0) process.exit(1);
}
const { main } = await load('main');
process.exit(await main(process.argv.slice(2)));
