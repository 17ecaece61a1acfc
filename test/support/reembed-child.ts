/**
 * The child half of the re-embed kill test (storage/reembed.test.ts):
 * `node out/test-children/reembed-child.mjs <dataDir>` (bundled by build-children.ts) re-embeds a directory written with the test embedder `test-a` into `test-b`, printing `progress <done> <total>`
 * after each page; the parent SIGKILLs it mid-way.
 */
import { StorageManager } from '../../src/main/engine/storage/manager';

export const DIM = 8;

/** A deterministic embedder per name: the same text gives other vectors under `test-a` and `test-b`. */
export function testEmbed(name: string, texts: readonly string[]): Float32Array {
  const out = new Float32Array(texts.length * DIM);
  texts.forEach((t, i) => {
    let h = 2166136261;
    for (const c of `${name}:${t}`) h = Math.imul(h ^ (c.codePointAt(0) ?? 0), 16777619);
    let norm = 0;
    for (let d = 0; d < DIM; d++) {
      h = Math.imul(h ^ (h >>> 15), 2246822519);
      const v = ((h >>> 0) / 2 ** 32) * 2 - 1;
      out[i * DIM + d] = v;
      norm += v * v;
    }
    for (let d = 0; d < DIM; d++) out[i * DIM + d] = (out[i * DIM + d] as number) / Math.sqrt(norm);
  });
  return out;
}

async function main(): Promise<void> {
  const dataDir = process.argv[2] as string;
  const m = await StorageManager.open({ dataDir, dim: DIM, embedderId: 'test-b', acceptOtherEmbedder: true });
  await m.reembed(
    async (texts) => {
      // Slow enough that the parent's kill lands between pages.
      await new Promise((r) => setTimeout(r, 50));
      return testEmbed('test-b', texts);
    },
    'test-b',
    (done, total) => process.stdout.write(`progress ${done} ${total}\n`),
  );
  process.stdout.write('finished\n');
  await m.close();
}

// Run as a script (the source through tsx, or its bundle), not when the test imports testEmbed.
if (/reembed-child\.m?[jt]s$/.test(process.argv[1] ?? '')) void main();
