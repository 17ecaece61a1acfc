/**
 * Noticing a store file that went bad underneath the engine, from the file itself rather than from the errors it
 * gives: gone, replaced by another file (a different device or inode from the one opened), or no longer starting
 * with SQLite's header. Cheap enough to run on every status() and before every search source (a stat and a
 * 16-byte read), and it runs on the main thread without touching SQLite. Also: keeping a damaged file aside.
 */
import { closeSync, copyFileSync, existsSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { WireError } from '../../../shared/errors';

export interface FileIdentity {
  dev: number;
  ino: number;
}

const HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** The file's device and inode now, or null when it is gone. */
export function identityOf(file: string): FileIdentity | null {
  try {
    const s = statSync(file);
    return { dev: s.dev, ino: s.ino };
  } catch {
    return null;
  }
}

/** Whether an error means the store's file must be set aside and rebuilt (as opposed to a busy or bad request). */
export function isFileFault(code: string): boolean {
  return code === 'STORE_CORRUPT' || code === 'STORE_UNAVAILABLE';
}

/** What is wrong with the file at `file` compared with the one opened as `opened`, or null when nothing is. */
export function fileFault(file: string, opened: FileIdentity): WireError | null {
  const name = basename(file);
  const now = identityOf(file);
  if (!now) {
    return {
      code: 'STORE_UNAVAILABLE',
      message: `${name} is missing (deleted while the engine ran)`,
      details: { file },
    };
  }
  if (now.dev !== opened.dev || now.ino !== opened.ino) {
    return {
      code: 'STORE_UNAVAILABLE',
      message: `${name} was replaced by another file while the engine ran`,
      details: { file },
    };
  }
  const head = Buffer.alloc(HEADER.length);
  let fd: number | null = null;
  let read = 0;
  try {
    fd = openSync(file, 'r');
    read = readSync(fd, head, 0, head.length, 0);
  } catch (err) {
    return {
      code: 'STORE_UNAVAILABLE',
      message: `${name} cannot be read: ${(err as Error).message}`,
      details: { file },
    };
  } finally {
    if (fd !== null) closeSync(fd);
  }
  // An empty file is one SQLite has not written its first page to yet; anything else must start with the header.
  if (read > 0 && !head.subarray(0, read).equals(HEADER.subarray(0, read))) {
    return {
      code: 'STORE_CORRUPT',
      message: `${name} is not a SQLite database any more (its header was overwritten)`,
      details: { file },
    };
  }
  return null;
}

/** Moves a damaged store file (with its WAL and shared-memory files) out of the way; returns where it went. */
export function setAside(file: string): string {
  const to = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  for (const ext of ['', '-wal', '-shm']) {
    if (existsSync(`${file}${ext}`)) renameSync(`${file}${ext}`, `${to}${ext}`);
  }
  return to;
}

/**
 * While the writer still holds the file: a copy of it (and its WAL) exactly as found, or null when the file is gone.
 * A copy, not a rename, because closing the writer afterwards checkpoints into whatever file it holds.
 */
export function keepCopy(file: string): string | null {
  if (!existsSync(file)) return null;
  const to = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  copyFileSync(file, to);
  if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${to}-wal`);
  return to;
}
