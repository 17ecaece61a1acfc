/**
 * Kill tests for the IVF index with real processes: a child (test/support/ann-crash-child.ts) writes and deletes
 * vectors in vector.db while its index trains, builds, swaps and folds, and is SIGKILLed as soon as it reports the
 * phase under test. The test then reopens the file in this process and checks that no half-built generation
 * serves, that every acknowledged vector is in the store and found by exact search, and that once the index has
 * settled (kept, or retired and rebuilt in the background) a full probe of it returns every live vector and never
 * a deleted one.
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { childScript } from '../../../../../test/support/child';
import { tempDir, waitFor } from '../../../../../test/support/fixtures';
import { ANN_CHILD_DIM, clusteredVectors, openAnnStore } from '../../../../../test/support/vectors';
import { IvfReader } from './search';

const CHILD = fileURLToPath(new URL('../../../../../test/support/ann-crash-child.ts', import.meta.url));
/** The child as vitest's set-up bundled it (plain Node starts it without transpiling). */
const CHILD_BUNDLE = childScript('ann-crash-child');
const ROOT = resolve(dirname(CHILD), '../..');
const DIM = ANN_CHILD_DIM;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Run {
  acked: number[];
  deleted: number[];
  events: string[];
  killedAt: string | null;
}

/** Runs the child until it reports `phase` (then SIGKILLs it) or until the budget runs out. */
function runChild(dir: string, phase: string, budgetMs: number): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CHILD_BUNDLE, dir, '1', '4000'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { acked: [], deleted: [], events: [], killedAt: null };
    let buf = '';
    let stderr = '';
    const kill = () => {
      if (!child.killed) child.kill('SIGKILL');
    };
    const timer = setTimeout(kill, budgetMs);
    child.stdout.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        const [tag, a, b] = line.split(' ');
        if (tag === 'ACK') for (let r = Number(a); r <= Number(b); r++) run.acked.push(r);
        else if (tag === 'DEL') run.deleted.push(Number(a));
        else if (tag === 'EV') {
          run.events.push(`${a} ${b}`);
          if (a === phase && run.killedAt === null) {
            run.killedAt = line;
            kill();
          }
        }
      }
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') fail(new Error(`child exited with ${code}: ${stderr.slice(-2000)}`));
      else done(run);
    });
  });
}

function reopen(dir: string) {
  const { db, store, reader } = openAnnStore(dir, DIM, {
    minRows: 600,
    deltaFold: 60,
    idleMs: 30,
    sample: 3000,
    checkQueries: 40,
  });
  cleanups.push(async () => {
    store.handlers.close({});
    // The trainer ends its thread by itself (a terminate() mid-compile can abort the process on Node 20).
    await store.ann.stopped();
    reader.close();
  });
  return { db, store, reader };
}

describe('IVF index kill tests', () => {
  // registered: the trainer is building a generation's cells; cells: a batch has just been written;
  // swapping: the swap transaction is about to run; fold: the delta is being folded into cells.
  for (const phase of ['registered', 'cells', 'swapping', 'fold']) {
    it(`a SIGKILL at "${phase}" leaves an index that answers or is rebuilt, and every acknowledged vector findable`, async () => {
      const t = tempDir();
      cleanups.push(t.cleanup);
      const run = await runChild(t.dir, phase, 200_000);
      expect(run.killedAt, `events seen: ${run.events.slice(-10).join(', ')}`).not.toBeNull();
      expect(run.acked.length).toBeGreaterThan(0);

      const { db, store, reader } = reopen(t.dir);
      // A half-built generation never serves after a restart.
      expect(db.prepare("SELECT count(*) AS n FROM ann_gens WHERE state = 'building'").get()).toEqual({ n: 0 });
      const dead = new Set(run.deleted);
      const live = run.acked.filter((r) => !dead.has(r));
      const vecs = clusteredVectors(4001, DIM, 40, 11);
      const stored = new Set(db.prepare('SELECT rowid FROM vec_ids').pluck().all() as number[]);
      for (const r of live) expect(stored.has(r), `acknowledged row ${r}`).toBe(true);
      for (const r of dead) expect(stored.has(r), `deleted row ${r}`).toBe(false);
      const exact = reader.prepare<[Float32Array], { rowid: number }>(
        "SELECT rowid FROM vec_items WHERE embedding MATCH ? AND k = 1 AND layer = 'm0'",
      );
      for (const r of live) expect(exact.get(vecs.slice((r - 1) * DIM, r * DIM))?.rowid).toBe(r);

      // The index settles (the kept generation, or a rebuilt one) and holds exactly the live vectors.
      await waitFor(
        () => {
          const s = store.ann.states().find((x) => x.layer === 'm0');
          return !store.ann.busy() && s !== undefined && s.gen !== null && s.recall !== null;
        },
        'the index to answer after reopening',
        120_000,
      );
      const ivf = new IvfReader(reader);
      const ix = ivf.index('m0');
      expect(ix).not.toBeNull();
      for (const r of stored) {
        const top = ivf.search('m0', vecs.slice((r - 1) * DIM, r * DIM), 2, { nprobe: ix?.nlist ?? 1 }) ?? [];
        expect(top[0]?.rowid, `row ${r} through the index`).toBe(r);
        for (const h of top) expect(dead.has(h.rowid)).toBe(false);
      }
    }, 500_000);
  }
});
