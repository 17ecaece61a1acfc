// Runs an entry of the command line from its bundle (out/cli/NAME.mjs, `npm run build:cli`) while that bundle is
// newer than every source file under src/ (the renderer aside), else from the TypeScript itself through tsx: a clone
// needs no build step for the CLI, an edited tree always runs its own code, and a built one starts in about half the
// CPU. Also a script: `node src/cli/launch.mjs mcp [args]` runs the MCP server's entry the same way.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRIES = { main: 'src/cli/main.ts', mcp: 'src/mcp/main.ts' };

/** The newest modification time of a file under `dir`, skipping `skip` (folders by absolute path). */
function newest(dir, skip) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!skip.has(p)) t = Math.max(t, newest(p, skip));
    } else {
      t = Math.max(t, statSync(p).mtimeMs);
    }
  }
  return t;
}

/** True when ROOT/out/cli/NAME.mjs exists and no source it could hold was changed after it was built. */
export function bundleIsFresh(name, root = ROOT) {
  const bundle = join(root, 'out', 'cli', `${name}.mjs`);
  if (!existsSync(bundle)) return false;
  const src = join(root, 'src');
  return statSync(bundle).mtimeMs >= newest(src, new Set([join(src, 'renderer')]));
}

/** Imports entry NAME (a key of ENTRIES): its fresh bundle, or its TypeScript through tsx. */
export async function load(name) {
  const entry = ENTRIES[name];
  if (!entry) throw new Error(`no command line entry "${name}"`);
  if (bundleIsFresh(name)) return import(pathToFileURL(join(ROOT, 'out', 'cli', `${name}.mjs`)).href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(join(ROOT, entry)).href);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // As a script: the entry runs on import and reads its own arguments after the name.
  const name = process.argv[2] ?? '';
  process.argv.splice(2, 1);
  await load(name);
}
