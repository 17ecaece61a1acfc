/** Size on disk of a system's folder: the sum of its files' sizes (apparent bytes, not blocks). */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) total += await dirBytes(p);
    else if (entry.isFile()) total += (await stat(p)).size;
  }
  return total;
}
