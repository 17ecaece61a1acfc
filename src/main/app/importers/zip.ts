/**
 * Reads an export's ZIP as the user downloaded it, without trusting it: the entry count and the uncompressed
 * size of what is read are bounded (checked against the headers before inflating and against the real output
 * after), entry names that escape (absolute, `..`, drive letters, NUL) refuse the whole archive, and only text
 * entries are inflated (a ChatGPT or WhatsApp export's media stays compressed and unread).
 */
import { unzipSync } from 'fflate';
import { refuse } from './common';

export const ZIP_LIMITS = {
  /** Entries in the archive, media included. */
  entries: 50_000,
  /** Uncompressed bytes of the text entries that are read. */
  bytes: 256 * 1024 * 1024,
};

const TEXT = /\.(json|jsonl|ndjson|txt|md|markdown)$/i;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

function escapes(name: string): boolean {
  if (name.includes('\u0000')) return true;
  if (/^([a-zA-Z]:|[\\/])/.test(name)) return true;
  return name.split(/[\\/]/).some((part) => part === '..');
}

export interface ZipEntry {
  path: string;
  bytes: Uint8Array;
}

/** The archive's text entries (paths inside it), or INVALID_INPUT naming the archive and the entry at fault. */
export function readZip(bytes: Uint8Array, zipName: string, limits = ZIP_LIMITS): ZipEntry[] {
  let entries = 0;
  let declared = 0;
  let problem: { field: string; why: string } | null = null;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        if (problem) return false;
        entries++;
        if (entries > limits.entries) {
          problem = { field: zipName, why: `holds more than ${limits.entries.toLocaleString('en')} entries` };
          return false;
        }
        if (escapes(f.name)) {
          problem = { field: `${zipName}: ${f.name}`, why: 'an entry whose path escapes the archive (refused)' };
          return false;
        }
        if (f.name.endsWith('/') || f.name.startsWith('__MACOSX/') || !TEXT.test(f.name)) return false;
        if ((f.name.split('/').pop() ?? '').startsWith('.')) return false;
        declared += f.originalSize;
        if (declared > limits.bytes) {
          problem = {
            field: `${zipName}: ${f.name}`,
            why: `the text entries uncompress to more than ${Math.round(limits.bytes / 1024 / 1024)} MiB`,
          };
          return false;
        }
        return true;
      },
    });
  } catch (err) {
    if (problem) throw refuse((problem as { field: string }).field, (problem as { why: string }).why);
    throw refuse(zipName, `not a readable ZIP (${err instanceof Error ? err.message : String(err)})`);
  }
  if (problem) throw refuse((problem as { field: string }).field, (problem as { why: string }).why);
  let real = 0;
  const out: ZipEntry[] = [];
  for (const [path, data] of Object.entries(files)) {
    real += data.length;
    if (real > limits.bytes) {
      throw refuse(`${zipName}: ${path}`, `the text entries uncompress to more than the ${limits.bytes} byte bound`);
    }
    out.push({ path, bytes: data });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
