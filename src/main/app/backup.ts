/**
 * Backup and restore of a whole data directory as one file. A backup is a ZIP (entries stored, not compressed:
 * the vectors do not compress and the copy stays fast) of each database snapshotted with `VACUUM INTO` on its own
 * read-only connection, plus `manifest.json` (format version, app version, each file's schema version, size and
 * SHA-256, the journal sequence, the embedder). It needs no lock, so it runs while the app writes: the three stores
 * are copied before the journal, so no store is ahead of the journal it is restored with, and on the first open
 * after a restore the engine replays whatever the stores had not yet applied. Restore only fills an empty
 * directory, and refuses a corrupt, incomplete or newer backup with a typed error before anything is in place.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Unzip, UnzipInflate, UnzipPassThrough, Zip, ZipPassThrough } from 'fflate';
import * as sqliteVec from 'sqlite-vec';
import { StrataError } from '../../shared/errors';
import { FILES, MIGRATIONS } from '../engine/storage/migrations';

export const BACKUP_FORMAT = 'strata-backup';
export const BACKUP_VERSION = 1;

type Role = keyof typeof FILES;
/** Stores first, the journal last (see the module comment). */
const ORDER: Role[] = ['vector', 'keyword', 'graph', 'core'];

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: number;
  app: string;
  createdAt: number;
  journalSeq: number;
  embedder: string | null;
  files: { role: Role; name: string; bytes: number; sha256: string; schemaVersion: number }[];
}

function appVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8'));
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Snapshots every database of `dataDir` into one file at `out`; returns its manifest. */
export async function backupDataDir(dataDir: string, out: string): Promise<BackupManifest> {
  const dir = resolve(dataDir);
  for (const role of ORDER) {
    if (!existsSync(join(dir, FILES[role]))) {
      throw new StrataError('NOT_FOUND', `dataDir: no ${FILES[role]} in ${dir} (is it a Strata data folder?)`, {
        field: 'dataDir',
      });
    }
  }
  const target = resolve(out);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = mkdtempSync(join(dirname(target), '.strata-backup-'));
  try {
    const files: BackupManifest['files'] = [];
    let journalSeq = 0;
    let embedder: string | null = null;
    for (const role of ORDER) {
      const name = FILES[role];
      const db = new Database(join(dir, name), { readonly: true, fileMustExist: true });
      try {
        db.pragma('busy_timeout = 10000');
        if (role === 'vector') sqliteVec.load(db);
        // One read transaction: the copy is the file as of its last commit, whatever writers do meanwhile.
        db.prepare('VACUUM INTO ?').run(join(tmp, name));
        if (role === 'core') {
          const snap = new Database(join(tmp, name), { readonly: true });
          try {
            const seq = snap.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").get() as
              | { seq: number }
              | undefined;
            journalSeq = seq?.seq ?? 0;
            const e = snap.prepare("SELECT value FROM meta WHERE key = 'embedder'").get() as
              | { value: string }
              | undefined;
            embedder = e?.value ?? null;
          } finally {
            snap.close();
          }
        }
        files.push({
          role,
          name,
          bytes: statSync(join(tmp, name)).size,
          sha256: await sha256(join(tmp, name)),
          schemaVersion: db.pragma('user_version', { simple: true }) as number,
        });
      } catch (err) {
        if (err instanceof StrataError) throw err;
        throw new StrataError('STORE_CORRUPT', `${name}: could not be copied (${(err as Error).message})`, {
          file: name,
        });
      } finally {
        db.close();
      }
    }
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      app: appVersion(),
      createdAt: Date.now(),
      journalSeq,
      embedder,
      files,
    };
    await writeZip(join(tmp, 'backup.zip'), manifest, tmp);
    renameSync(join(tmp, 'backup.zip'), target);
    return manifest;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function writeZip(path: string, manifest: BackupManifest, from: string): Promise<void> {
  const fd = openSync(path, 'w');
  try {
    let failed: Error | null = null;
    const zip = new Zip((err, data) => {
      if (err) failed = err;
      else writeSync(fd, data);
    });
    const m = new ZipPassThrough('manifest.json');
    zip.add(m);
    m.push(new TextEncoder().encode(JSON.stringify(manifest, null, 2)), true);
    for (const f of manifest.files) {
      const entry = new ZipPassThrough(f.name);
      zip.add(entry);
      for await (const chunk of createReadStream(join(from, f.name), { highWaterMark: 1 << 20 })) {
        entry.push(new Uint8Array(chunk as Buffer), false);
      }
      entry.push(new Uint8Array(0), true);
    }
    zip.end();
    if (failed) throw failed;
  } finally {
    closeSync(fd);
  }
}

const corrupt = (file: string, why: string): StrataError =>
  new StrataError('STORE_CORRUPT', `${file}: ${why}`, { file });

/** Reads a backup's entries to files in `into`; the manifest is returned parsed. */
async function extract(file: string, into: string): Promise<BackupManifest> {
  const fds = new Map<string, number>();
  let manifestText = '';
  let failed: Error | null = null;
  const unzip = new Unzip((entry) => {
    const name = entry.name;
    const allowed = name === 'manifest.json' || Object.values(FILES).includes(name);
    if (!allowed) return;
    entry.ondata = (err, data, final) => {
      if (err) {
        failed = err;
        return;
      }
      if (name === 'manifest.json') {
        manifestText += new TextDecoder().decode(data, { stream: !final });
        return;
      }
      let fd = fds.get(name);
      if (fd === undefined) {
        fd = openSync(join(into, name), 'w');
        fds.set(name, fd);
      }
      writeSync(fd, data);
    };
    entry.start();
  });
  unzip.register(UnzipPassThrough);
  unzip.register(UnzipInflate);
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      unzip.push(new Uint8Array(chunk as Buffer), false);
      if (failed) break;
    }
    if (!failed) unzip.push(new Uint8Array(0), true);
  } catch (err) {
    failed = err as Error;
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
  if (failed) throw corrupt(file, `not a readable backup (${(failed as Error).message})`);
  if (!manifestText) throw corrupt(file, 'not a Strata backup (no manifest.json)');
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(manifestText) as BackupManifest;
  } catch {
    throw corrupt(`${file}: manifest.json`, 'not valid JSON');
  }
  return manifest;
}

/**
 * Restores a backup into `dataDir`, which must be missing or empty. Checks the manifest (format, version), every
 * file's checksum and schema version and SQLite's own integrity check before moving the files into place.
 */
export async function restoreBackup(file: string, dataDir: string): Promise<BackupManifest> {
  const source = resolve(file);
  if (!existsSync(source)) throw new StrataError('NOT_FOUND', `file: no backup at ${source}`, { field: 'file' });
  const dir = resolve(dataDir);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new StrataError('INVALID_INPUT', `dataDir: ${dir} is not empty; restore into a new or empty folder`, {
      field: 'dataDir',
    });
  }
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = mkdtempSync(join(dirname(dir), '.strata-restore-'));
  try {
    const manifest = await extract(source, tmp);
    if (manifest?.format !== BACKUP_FORMAT) throw corrupt(source, 'not a Strata backup (manifest format)');
    if (typeof manifest.version !== 'number' || manifest.version > BACKUP_VERSION) {
      throw new StrataError(
        'SCHEMA_TOO_NEW',
        `${source}: backup format ${manifest.version} is newer than this build's ${BACKUP_VERSION}; restore it with a newer Strata`,
        { file: source, version: manifest.version, supported: BACKUP_VERSION },
      );
    }
    for (const role of ORDER) {
      const entry = manifest.files?.find((f) => f.role === role);
      const name = FILES[role];
      if (!entry || entry.name !== name) throw corrupt(source, `the manifest lists no ${name}`);
      const supported = MIGRATIONS[role].length;
      if (entry.schemaVersion > supported) {
        throw new StrataError(
          'SCHEMA_TOO_NEW',
          `${name} in the backup has schema version ${entry.schemaVersion}, newer than this build's ${supported}`,
          { file: name, version: entry.schemaVersion, supported },
        );
      }
      const path = join(tmp, name);
      if (!existsSync(path)) throw corrupt(`${source}: ${name}`, 'missing from the backup');
      if (statSync(path).size !== entry.bytes || (await sha256(path)) !== entry.sha256) {
        throw corrupt(`${source}: ${name}`, 'checksum does not match the manifest (the backup is damaged)');
      }
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        if (role === 'vector') sqliteVec.load(db);
        const ok = db.pragma('quick_check', { simple: true });
        if (ok !== 'ok') throw corrupt(`${source}: ${name}`, `integrity check failed (${String(ok)})`);
      } finally {
        db.close();
      }
    }
    if (existsSync(dir)) rmSync(dir, { recursive: true });
    renameSync(tmp, dir);
    return manifest;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
