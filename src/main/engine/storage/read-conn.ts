/**
 * One read-only connection to one store file, held independently of the others: opened on first use, checked once
 * per request against the file on disk (a file deleted or replaced underneath is noticed by its device and inode,
 * not only by the errors it gives), closed after a fault and reopened once a new file is in place. A read that
 * fails gets a typed error naming the file. `lazyDb` lets code written against a plain connection (prepared
 * statements made up front) run on a `ReadConn` without opening anything until a statement first runs.
 */
import { basename } from 'node:path';
import type { Statement } from 'better-sqlite3';
import { StrataError } from '../../../shared/errors';
import { type FileIdentity, identityOf, isFileFault } from './file-watch';
import { type DB, openDatabase, sqliteError } from './sqlite';

/**
 * A failure that says the file itself is bad (gone, unreadable, corrupt) rather than busy or asked wrongly, as a
 * typed error naming the file. Missing, unopenable and I/O errors are `STORE_UNAVAILABLE`; bad pages and a file
 * that is not a database are `STORE_CORRUPT`.
 */
export function readError(err: unknown, file: string, action: string): StrataError {
  if (err instanceof StrataError) return err;
  const code = (err as { code?: string })?.code ?? '';
  const msg = err instanceof Error ? err.message : String(err);
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_PERM')) {
    return new StrataError('STORE_UNAVAILABLE', `${basename(file)} cannot be read (${action}): ${msg}`, {
      file,
      sqlite: code,
    });
  }
  return sqliteError(err, file, action);
}

export class ReadConn {
  private db: DB | null = null;
  private opened: FileIdentity | null = null;
  /** Bumped whenever the connection is closed or reopened: statements of an older generation are re-prepared. */
  generation = 0;
  private checked = false;

  constructor(
    readonly file: string,
    private readonly loadVec: boolean,
    private readonly busyTimeoutMs: number,
  ) {}

  /** A new request: the next use compares the file on disk with the one held open. */
  newRequest(): void {
    this.checked = false;
  }

  /** The open connection, opening (or reopening, if the file was replaced) as needed; throws a typed error. */
  get(): DB {
    if (!this.checked) {
      this.checked = true;
      const now = identityOf(this.file);
      if (this.db && (!now || now.dev !== this.opened?.dev || now.ino !== this.opened?.ino)) this.drop();
      if (!now) {
        throw new StrataError('STORE_UNAVAILABLE', `${basename(this.file)} is missing (deleted while the engine ran)`, {
          file: this.file,
        });
      }
    }
    if (!this.db) {
      const before = identityOf(this.file);
      try {
        this.db = openDatabase(this.file, {
          readonly: true,
          busyTimeoutMs: this.busyTimeoutMs,
          pageSize: 0,
          loadVec: this.loadVec,
          synchronous: 'NORMAL',
        });
      } catch (err) {
        throw readError(err, this.file, 'open');
      }
      this.opened = before;
      this.generation++;
    }
    return this.db;
  }

  /** A read failed: a file fault closes the connection, so the next request opens whatever file is there then. */
  failed(err: unknown, action: string): StrataError {
    const typed = readError(err, this.file, action);
    if (isFileFault(typed.code)) this.drop();
    return typed;
  }

  private drop(): void {
    try {
      this.db?.close();
    } catch {
      // a connection to a damaged file may refuse to close cleanly; it is dropped either way
    }
    this.db = null;
    this.opened = null;
    this.generation++;
  }

  close(): void {
    this.drop();
  }
}

/**
 * A stand-in for a connection that prepares nothing until a statement first runs, and then on the connection's
 * current generation; every statement method's failure comes back typed, naming the file. Typed as `DB` (a cast)
 * so read code written for a plain connection runs unchanged on it.
 */
export function lazyDb(conn: ReadConn): DB {
  const statement = (sql: string): Statement<unknown[]> => {
    let real: Statement<unknown[]> | null = null;
    let gen = -1;
    const current = (): Statement<unknown[]> => {
      const db = conn.get();
      if (!real || gen !== conn.generation) {
        try {
          real = db.prepare<unknown[]>(sql);
        } catch (err) {
          throw conn.failed(err, 'prepare');
        }
        gen = conn.generation;
      }
      return real;
    };
    return new Proxy({} as Statement<unknown[]>, {
      get(_, prop) {
        const s = current();
        const v = Reflect.get(s, prop, s) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          try {
            return (v as (...a: unknown[]) => unknown).apply(s, args);
          } catch (err) {
            throw conn.failed(err, 'read');
          }
        };
      },
    });
  };
  return new Proxy({} as DB, {
    get(_, prop) {
      if (prop === 'prepare') return statement;
      const db = conn.get();
      const v = Reflect.get(db, prop, db) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(db) : v;
    },
  });
}
