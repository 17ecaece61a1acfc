/**
 * Settings → Export and Backup: the whole memory written to a folder (default `exports/` and `backups/` in the data
 * folder) under a dated name, and the one check a browser-mode download goes through (a file inside those two
 * folders of the data folder, nothing else). Also the rough re-embed estimate the confirmation shows.
 */
import { createWriteStream, existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { StrataError } from '../../shared/errors';
import type { SettingsEmbedder, WrittenFile } from '../../shared/settings-schema';
import type { Engine } from '../engine/engine';
import { backupDataDir } from './backup';
import { exportJsonl, exportMarkdown } from './export';

export const EXPORTS_DIR = 'exports';
export const BACKUPS_DIR = 'backups';

function stamp(now = new Date()): string {
  return now.toISOString().replace(/[:]/g, '-').replace(/\..+$/, '');
}

function writable(dir: string, field: string): string {
  const abs = resolve(dir);
  try {
    mkdirSync(abs, { recursive: true });
  } catch (err) {
    throw new StrataError('DIR_NOT_WRITABLE', `${field}: cannot create ${abs} (${(err as Error).message})`, {
      field,
      dir: abs,
    });
  }
  return abs;
}

function written(dataDir: string, path: string): WrittenFile {
  const rel = relative(dataDir, path);
  const inside = !rel.startsWith('..') && !isAbsolute(rel);
  return { path, download: inside ? rel.split(sep).join('/') : null, bytes: statSync(path).size };
}

async function toFile(path: string, fill: (write: (text: string) => Promise<void> | undefined) => Promise<unknown>) {
  const stream = createWriteStream(path, { flags: 'wx' });
  const write = (text: string): Promise<void> | undefined =>
    stream.write(text) ? undefined : new Promise<void>((r) => stream.once('drain', () => r()));
  try {
    await fill(write);
  } finally {
    await new Promise<void>((r, j) => stream.end((e?: Error | null) => (e ? j(e) : r())));
  }
}

/** JSONL (re-importable) and Markdown (to read), side by side in `dir`. */
export async function exportToFolder(engine: Engine, dataDir: string, dir?: string): Promise<WrittenFile[]> {
  const out = writable(dir ?? join(dataDir, EXPORTS_DIR), 'dir');
  const base = join(out, `strata-export-${stamp()}`);
  await toFile(`${base}.jsonl`, (write) => exportJsonl(engine, (line) => write(`${line}\n`)));
  await toFile(`${base}.md`, (write) => exportMarkdown(engine, write));
  return [written(dataDir, `${base}.jsonl`), written(dataDir, `${base}.md`)];
}

/** One consistent backup file (safe while the engine writes). */
export async function backupToFolder(dataDir: string, dir?: string): Promise<WrittenFile> {
  const out = writable(dir ?? join(dataDir, BACKUPS_DIR), 'dir');
  const file = join(out, `strata-backup-${stamp()}.strata-backup`);
  await backupDataDir(dataDir, file);
  return written(dataDir, file);
}

/**
 * The file a download names (`exports/…` or `backups/…`, relative to the data folder), or NOT_FOUND: never a path
 * outside those folders (`..`, absolute paths, symlinks out of them).
 */
export function downloadable(dataDir: string, name: string): string {
  const refuse = () => new StrataError('NOT_FOUND', `file: no export or backup "${name}"`, { field: 'file' });
  const [top] = name.split('/');
  if (!name || isAbsolute(name) || name.includes('\\') || (top !== EXPORTS_DIR && top !== BACKUPS_DIR)) throw refuse();
  const root = resolve(dataDir, top);
  const file = resolve(dataDir, name);
  if (!file.startsWith(root + sep) || !existsSync(file)) throw refuse();
  const real = realpathSync(file);
  if (!real.startsWith(realpathSync(root) + sep) || !statSync(real).isFile()) throw refuse();
  return real;
}

/**
 * Texts per second each embedder ran at in this repo's benchmarks on the 2-core machine (bench:layers, load ~2):
 * a rough figure for the confirmation only; the running re-embed shows its own measured rate and ETA.
 */
const NOMINAL_TEXTS_PER_S: Record<SettingsEmbedder, number> = { static: 20_000, 'use-lite': 40, hashing: 30_000 };

export function reembedEstimateMs(to: SettingsEmbedder, vectors: number): number {
  return Math.round((vectors / NOMINAL_TEXTS_PER_S[to]) * 1000);
}
