/** The data directory itself: created if missing (with a bound on the walk up) and proven writable before any file opens. */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { StrataError } from '../../../shared/errors';

/**
 * mkdir -p with a bound: Node's recursive mkdir loops forever on some virtual
 * file systems (procfs answers ENOENT for a child of a directory that exists).
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let cur = resolve(dir);
  while (!existsSync(cur)) {
    missing.push(cur);
    const up = dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  for (const d of missing.reverse()) mkdirSync(d);
}

export function ensureWritableDir(dir: string): void {
  const probe = join(dir, `.strata-probe-${process.pid}`);
  try {
    makeDirs(dir);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (err) {
    throw new StrataError(
      'DIR_NOT_WRITABLE',
      `data directory ${dir} is not writable: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      { dir },
    );
  }
}
