/**
 * One engine per data directory: `strata.lock` names its holder (pid, the process's start time, host).
 *
 * Taking it is atomic: the holder's record is written to a file of its own first and then hard-linked to
 * `strata.lock`, which fails if the name exists, so no one ever reads a half-written lock. A lock whose holder is
 * gone (a crash) is taken over, and that is atomic too: the takeover runs under a second exclusively-created file,
 * and re-reads the lock inside it, so two processes that both saw the same stale lock cannot both replace it. A
 * recycled pid is detected by the start time: a live process with the holder's pid but another start time is not
 * the holder.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StrataError } from '../../../shared/errors';

export interface DirLock {
  release(): void;
}

export interface LockHolder {
  pid: number;
  /** `<boot id>:<start time in clock ticks>` on Linux; empty where the system does not tell. */
  start: string;
  host: string;
}

const held = new Set<string>();
/** A takeover file older than this was left by a process that died mid-takeover (a takeover takes microseconds). */
const TAKEOVER_STALE_MS = 10_000;

/** When a process started, as the kernel records it; '' when unknown (no /proc, or the process is gone). */
export function processStart(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = fields[19];
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return ticks ? `${boot}:${ticks}` : '';
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads a lock file: JSON from this build, a bare pid from older ones; null if unreadable or half-written. */
function readHolder(file: string): LockHolder | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
  if (/^\d+$/.test(text)) return { pid: Number(text), start: '', host: '' };
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isInteger(h.pid) && (h.pid as number) > 0) {
      return { pid: h.pid as number, start: String(h.start ?? ''), host: String(h.host ?? '') };
    }
  } catch {
    // fall through
  }
  return null;
}

/** The holder still holds it: its process is alive and (where both are known) started when the lock says. */
function holds(h: LockHolder): boolean {
  if (h.host && h.host !== hostname()) return true; // another machine's process: cannot be checked, assume held
  if (!alive(h.pid)) return false;
  if (!h.start) return true;
  const now = processStart(h.pid);
  return now === '' || now === h.start;
}

function lockedBy(dir: string, file: string, h: LockHolder, ours: boolean): StrataError {
  const who = ours ? 'another engine in this process' : `process ${h.pid}${h.host ? ` on ${h.host}` : ''}`;
  return new StrataError('STORE_LOCKED', `data directory ${dir} is in use by ${who} (strata.lock)`, {
    file,
    pid: h.pid,
    ...(h.start && { start: h.start }),
    ...(h.host && { host: h.host }),
  });
}

function writeTemp(name: string, body: string): string {
  const tmp = `${name}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  const fd = openSync(tmp, 'wx');
  try {
    writeSync(fd, body);
  } finally {
    closeSync(fd);
  }
  return tmp;
}

/** Creates `name` holding `body`, atomically: fails with EEXIST and leaves nothing behind if it exists. */
function createWith(name: string, body: string): void {
  const tmp = writeTemp(name, body);
  try {
    linkSync(tmp, name);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Replaces `name` with `body` in one rename: the name never stops existing, so a process starting meanwhile cannot
 * create it through the fast path (a remove then a create left that gap, and the taker then failed with a raw EEXIST).
 */
function replaceWith(name: string, body: string): void {
  const tmp = writeTemp(name, body);
  try {
    renameSync(tmp, name);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export function acquireDirLock(dir: string): DirLock {
  const file = join(dir, 'strata.lock');
  const takeover = `${file}.takeover`;
  const me: LockHolder = { pid: process.pid, start: processStart(process.pid), host: hostname() };
  const body = JSON.stringify(me);
  const taken = (): DirLock => {
    held.add(file);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        held.delete(file);
        // Only our own lock is removed: never one another process took over meanwhile.
        const h = readHolder(file);
        if (h && h.pid === me.pid && h.start === me.start) rmSync(file, { force: true });
      },
    };
  };

  try {
    createWith(file, body);
    return taken();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // This process's pid in the lock is another engine here only if one holds it now; else it is left over.
  const inUse = (h: LockHolder): boolean => (h.pid === process.pid ? held.has(file) : holds(h));
  const seen = readHolder(file);
  if (seen && inUse(seen)) throw lockedBy(dir, file, seen, seen.pid === process.pid);

  // Stale (or unreadable): take it over, one process at a time.
  try {
    createWith(takeover, body);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    let age = 0;
    try {
      age = Date.now() - statSync(takeover).mtimeMs;
    } catch {
      // gone already: the other process finished its takeover
    }
    if (age > TAKEOVER_STALE_MS) rmSync(takeover, { force: true });
    // The takeover file holds the record of the process taking the lock over: that is who will hold it.
    const taker = readHolder(takeover);
    throw new StrataError(
      'STORE_LOCKED',
      `data directory ${dir} is being taken over by ${taker ? `process ${taker.pid}` : 'another process'} (strata.lock)`,
      { file, ...(taker && { pid: taker.pid }) },
    );
  }
  try {
    // Re-read inside the takeover: another process may have replaced the stale lock between our read and now.
    const now = readHolder(file);
    if (now && inUse(now)) throw lockedBy(dir, file, now, now.pid === process.pid);
    replaceWith(file, body);
    return taken();
  } finally {
    rmSync(takeover, { force: true });
  }
}
