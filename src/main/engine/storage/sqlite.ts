/**
 * Opening a store's SQLite file: pragmas, sqlite-vec, migrations, and the
 * translation of SQLite's failures into errors that name the file.
 * Runs only inside workers: the main thread never opens SQLite.
 */
import { basename } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { StrataError } from '../../../shared/errors';
import type { Migration } from './migrations/types';

export type DB = Database.Database;

/** The connections this isolate opened (weakly held), for its memory report. */
const opened = new Set<WeakRef<DB>>();

/** This isolate's open connections, each with its page-cache bound in KiB. */
export function openConnections(): { file: string; cacheKiB: number }[] {
  const out: { file: string; cacheKiB: number }[] = [];
  for (const ref of opened) {
    const db = ref.deref();
    if (!db?.open) {
      opened.delete(ref);
      continue;
    }
    const size = Number(db.pragma('cache_size', { simple: true }));
    // Negative: KiB; positive: pages.
    out.push({
      file: basename(db.name),
      cacheKiB: size < 0 ? -size : Math.round((size * Number(db.pragma('page_size', { simple: true }))) / 1024),
    });
  }
  return out;
}

export interface OpenOptions {
  readonly: boolean;
  busyTimeoutMs: number;
  /** Page size for a new file; larger pages suit the blob-heavy journal and vector files. */
  pageSize: number;
  loadVec: boolean;
  /** FULL for the journal (an acknowledged write survives power loss); NORMAL for stores, which the journal can rebuild. */
  synchronous: 'FULL' | 'NORMAL';
}

/** Maps a SQLite error to a Strata error naming the file it happened on. */
export function sqliteError(err: unknown, file: string, action: string): StrataError {
  if (err instanceof StrataError) return err;
  const code = (err as { code?: string })?.code ?? '';
  const msg = err instanceof Error ? err.message : String(err);
  const name = basename(file);
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED') {
    return new StrataError('STORE_LOCKED', `${name} is locked by another process (${action}): ${msg}`, { file });
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new StrataError('STORE_CORRUPT', `${name} is corrupt or not a SQLite database (${action}): ${msg}`, {
      file,
    });
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')) {
    return new StrataError('DIR_NOT_WRITABLE', `${name} cannot be written (${action}): ${msg}`, { file });
  }
  return new StrataError('STORE_WRITE_FAILED', `${name}: ${action} failed: ${msg}`, { file, sqlite: code });
}

function readCacheKiB(): number {
  const mb = Number(process.env.STRATA_READ_CACHE_MB);
  return Math.round((Number.isFinite(mb) && mb > 0 ? mb : 8) * 1024);
}

export function openDatabase(file: string, opts: OpenOptions): DB {
  let db: DB | undefined;
  try {
    // Electron runs on its own ABI build of better-sqlite3, kept apart from the Node build the tests use.
    const nativeBinding = process.env.STRATA_SQLITE_BINDING;
    db = new Database(file, {
      readonly: opts.readonly,
      fileMustExist: opts.readonly,
      timeout: opts.busyTimeoutMs,
      ...(nativeBinding && { nativeBinding }),
    });
    if (opts.loadVec) sqliteVec.load(db);
    if (!opts.readonly) {
      // page_size and auto_vacuum only take effect before the file's first page is written: a file created by an
      // older build keeps auto_vacuum off (its freed pages are still zeroed, below; only the file does not shrink).
      db.pragma(`page_size = ${opts.pageSize}`);
      db.pragma('auto_vacuum = INCREMENTAL');
      // Forget means gone: deleted rows and freed pages are overwritten with zeros, not left readable in the file.
      db.pragma('secure_delete = ON');
      db.pragma('journal_mode = WAL');
      // Checkpoints run when the writer is idle (see the worker's checkpoint method), never inside a commit.
      db.pragma('wal_autocheckpoint = 0');
      // After a checkpoint lets the WAL start over, the file is cut back to 64 MiB: a long import's peak is not kept.
      db.pragma('journal_size_limit = 67108864');
    }
    db.pragma(`synchronous = ${opts.synchronous}`);
    // Page cache per connection, in KiB (SQLite's default is 2 MiB): a writer keeps 32 MiB, so the journal's id and
    // link indexes and FTS5's segments stay hot as a store grows; a read connection 8 MiB (STRATA_READ_CACHE_MB),
    // since the readers open all four files, mostly do point lookups, and the vector reader keeps its own cell cache.
    db.pragma(`cache_size = -${opts.readonly ? readCacheKiB() : 32768}`);
    db.pragma('foreign_keys = ON');
    // Forces SQLite to read the header now, so a corrupt or locked file fails at open, naming the file.
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    opened.add(new WeakRef(db));
    return db;
  } catch (err) {
    db?.close();
    throw sqliteError(err, file, 'open');
  }
}

/** Applies the numbered migrations above the file's `user_version`, refusing a file newer than this build. */
export function migrate(db: DB, file: string, migrations: readonly Migration[], ctx: { dim: number }): number {
  const target = migrations.length;
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} is numbered ${m.version}, expected ${i + 1}`);
  });
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > target) {
    throw new StrataError(
      'SCHEMA_TOO_NEW',
      `${basename(file)} has schema version ${current}, newer than this build's ${target}; open it with a newer Strata`,
      { file, version: current, supported: target },
    );
  }
  try {
    for (const m of migrations.slice(current)) {
      db.transaction(() => {
        m.up(db, ctx);
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    }
  } catch (err) {
    throw sqliteError(err, file, 'migrate');
  }
  return target;
}

export function walPages(db: DB): number {
  const row = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
  return row[0]?.log ?? 0;
}

/**
 * After a delete: fold the WAL back and truncate it (the frames written before the delete still hold the deleted
 * text), and give free pages back to the file system once they are a quarter of it.
 */
export function compact(db: DB): { walPages: number; freedPages: number } {
  let freedPages = 0;
  if ((db.pragma('auto_vacuum', { simple: true }) as number) === 2) {
    const free = db.pragma('freelist_count', { simple: true }) as number;
    const pages = db.pragma('page_count', { simple: true }) as number;
    if (free > 0 && free * 4 >= pages) {
      db.pragma('incremental_vacuum');
      freedPages = free;
    }
  }
  let walPages = 0;
  try {
    const row = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number }[];
    walPages = row[0]?.busy ? (row[0]?.log ?? 0) : 0;
  } catch {
    // busy: a reader holds a snapshot; the next compaction or the close truncates it
  }
  return { walPages, freedPages };
}

/** At close: checkpoint everything and truncate the WAL. Best effort: a reader still open keeps what it needs. */
export function truncateWal(db: DB): void {
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // busy or read-only: SQLite checkpoints again when the last connection closes
  }
}

/** Takes and releases the write lock once, so a file held by another process fails at open rather than at the first write. */
export function assertWritable(db: DB, file: string): void {
  try {
    db.prepare('BEGIN IMMEDIATE').run();
    db.prepare('COMMIT').run();
  } catch (err) {
    if (db.inTransaction) db.prepare('ROLLBACK').run();
    throw sqliteError(err, file, 'open');
  }
}
