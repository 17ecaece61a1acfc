/**
 * One engine per data directory: a `strata.lock` file holding the owner's pid.
 * A lock left by a process that no longer exists (a crash) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StrataError } from '../../../shared/errors';

export interface DirLock {
  release(): void;
}

const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireDirLock(dir: string): DirLock {
  const file = join(dir, 'strata.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.add(file);
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          held.delete(file);
          rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8').trim());
      const ours = owner === process.pid && held.has(file);
      if (Number.isInteger(owner) && owner > 0 && (ours || (owner !== process.pid && alive(owner)))) {
        throw new StrataError(
          'STORE_LOCKED',
          `data directory ${dir} is in use by ${ours ? 'another engine in this process' : `process ${owner}`} (strata.lock)`,
          { file, pid: owner },
        );
      }
      rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new StrataError('STORE_LOCKED', `could not take ${file}`, { file });
}
