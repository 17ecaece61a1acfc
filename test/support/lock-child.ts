/**
 * The child half of the lock race (storage/lock.test.ts): `node out/test-children/lock-child.mjs <dataDir>`. For each
 * `at <epoch ms>` line on stdin it spins until that instant (so two children start together), tries to take the
 * directory's lock, and prints `won` or `locked <code> <pid>`; `release` drops a lock it won; `exit` ends it.
 */
import { createInterface } from 'node:readline';
import { acquireDirLock, type DirLock } from '../../src/main/engine/storage/lock';
import { StrataError } from '../../src/shared/errors';

const dir = process.argv[2] as string;
let lock: DirLock | null = null;
const now = (): number => performance.timeOrigin + performance.now();

process.stdout.write('ready\n');
createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.split(' ');
  if (cmd === 'at') {
    const at = Number(arg);
    while (now() < at) {
      // spin: both children leave this loop within a clock tick of each other
    }
    try {
      lock = acquireDirLock(dir);
      process.stdout.write('won\n');
    } catch (err) {
      const e = err as StrataError;
      process.stdout.write(`locked ${e instanceof StrataError ? e.code : 'THROWN'} ${String(e.details?.pid ?? '')}\n`);
    }
  } else if (cmd === 'release') {
    lock?.release();
    lock = null;
    process.stdout.write('released\n');
  } else if (cmd === 'exit') {
    process.exit(0);
  }
});
