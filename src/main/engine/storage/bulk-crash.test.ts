/**
 * The bulk path under SIGKILL (issue 13 item 4): a child (bulk-crash-child.ts) imports new sessions through
 * `Engine.addSessions`, two large batches in flight, and is killed at a random moment, round after round, on one
 * data directory. Before anything reopens the files, each store holds whole batches only (a store applies an op in
 * one transaction); after the engine reopens (replaying what a store missed), every acknowledged batch is in the
 * journal with every session and message in order and with its text, every batch cut off by the kill is there whole
 * or not at all, and the vector, keyword and graph stores hold exactly the journal's items and links.
 * Seeded delays (printed); every wait is a budget for a machine five times slower; no assertion on elapsed time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { describe, expect, it } from 'vitest';
import { batchOf, bulkText, MESSAGES, SESSIONS } from '../../../../test/support/bulk-crash-child';
import { childScript } from '../../../../test/support/child';
import { readStores } from '../../../../test/support/fixtures';
import { rng } from '../../../shared/rng';
import { Engine } from '../engine';

const CHILD = fileURLToPath(new URL('../../../../test/support/bulk-crash-child.ts', import.meta.url));
/** The child as vitest's set-up bundled it (plain Node starts it without transpiling). */
const CHILD_BUNDLE = childScript('bulk-crash-child');
const ROOT = resolve(dirname(CHILD), '../..');
const ROUNDS = 6;
const SEED = Number(process.env.STRATA_CRASH_SEED ?? 20_261_202);
const FIRST_ACK_TIMEOUT_MS = 150_000;

interface Run {
  /** Batches announced (W), with their session ids. */
  written: Map<number, string[]>;
  acked: Set<number>;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function runChild(dataDir: string, round: number, delayMs: number): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CHILD_BUNDLE, dataDir, String(round), round % 2 ? 'power' : 'process'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { written: new Map(), acked: new Set(), signal: null, stderr: '' };
    let buffer = '';
    const noAck = setTimeout(() => child.kill('SIGKILL'), FIRST_ACK_TIMEOUT_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const [tag, b, json] = buffer.slice(0, nl).split(' ');
        if (tag === 'W') run.written.set(Number(b), JSON.parse(json as string) as string[]);
        else if (tag === 'ACK') {
          if (run.acked.size === 0) {
            clearTimeout(noAck);
            setTimeout(() => child.kill('SIGKILL'), delayMs);
          }
          run.acked.add(Number(b));
        } else reject(new Error(`round ${round}: unexpected line ${JSON.stringify(buffer.slice(0, nl))}`));
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => {
      run.stderr += c;
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(noAck);
      run.signal = signal;
      resolvePromise(run);
    });
  });
}

/** Item ids in each store's file as the kill left it (read-only, before any engine replays into it). */
function storeItemIds(dataDir: string): Record<'vector' | 'keyword' | 'graph', string[]> {
  const open = (f: string) => new Database(join(dataDir, f), { readonly: true, fileMustExist: true });
  const v = open('vector.db');
  sqliteVec.load(v);
  const vector = v.prepare<[], { id: string }>('SELECT id FROM vec_ids').all();
  v.close();
  const k = open('keyword.db');
  const keyword = k.prepare<[], { id: string }>('SELECT id FROM fts_items').all();
  k.close();
  const g = open('graph.db');
  const graph = g.prepare<[], { id: string }>("SELECT id FROM nodes WHERE kind = 'chunk'").all();
  g.close();
  return { vector: vector.map((r) => r.id), keyword: keyword.map((r) => r.id), graph: graph.map((r) => r.id) };
}

/** `chunk:m-<run>-<batch>-<k>-<i>` → `<run>-<batch>`. */
const batchKey = (chunkId: string): string => chunkId.split('-').slice(1, 3).join('-');

describe('the bulk path under SIGKILL (real processes)', () => {
  it(`keeps every acknowledged batch whole, and a batch cut off whole or not at all, across ${ROUNDS} kills`, async () => {
    console.log(`bulk crash test: seed ${SEED} (STRATA_CRASH_SEED varies it), ${ROUNDS} rounds`);
    const rnd = rng(SEED);
    const dataDir = mkdtempSync(join(tmpdir(), 'strata-bulk-crash-'));
    const perBatch = SESSIONS * MESSAGES;
    let acked = 0;
    let cutOff = 0;
    let cutOffKept = 0;
    try {
      /** Every session the journal must hold from earlier rounds. */
      const kept = new Set<string>();
      for (let round = 1; round <= ROUNDS; round++) {
        const delayMs = Math.floor(rnd() * 1_500);
        const run = await runChild(dataDir, round, delayMs);
        const ctx = `seed ${SEED}, round ${round} (kill ${delayMs} ms after the first ack), ${dataDir}`;
        expect(run.signal, `${ctx}: the child was not killed by the test\n${run.stderr}`).toBe('SIGKILL');
        expect(run.acked.size, `${ctx}: no batch acknowledged`).toBeGreaterThan(0);

        // Nothing half-written in any store: each holds whole batches (every chunk of a batch, or none).
        const before = storeItemIds(dataDir);
        for (const [store, ids] of Object.entries(before)) {
          const byBatch = new Map<string, number>();
          for (const id of ids) byBatch.set(batchKey(id), (byBatch.get(batchKey(id)) ?? 0) + 1);
          const partial = [...byBatch].filter(([, n]) => n !== perBatch);
          expect(partial, `${ctx}: ${store}.db holds part of a batch`).toEqual([]);
        }

        const engine = await Engine.open({ dataDir, layers: false, chunking: { shortTokens: 0, maxTokens: 1e6 } });
        try {
          const stored = new Set((await engine.listSessions()).map((s) => s.id));
          for (const s of kept) expect(stored.has(s), `${ctx}: session ${s} of an earlier round is gone`).toBe(true);
          for (const [b, sessions] of run.written) {
            const present = sessions.filter((s) => stored.has(s));
            if (run.acked.has(b)) {
              expect(present, `${ctx}: acknowledged batch ${b} lost sessions`).toEqual(sessions);
              acked++;
            } else {
              expect([0, sessions.length], `${ctx}: batch ${b} cut off by the kill is half there`).toContain(
                present.length,
              );
              cutOff++;
              if (present.length > 0) cutOffKept++;
            }
            const { messages } = batchOf(round, b);
            for (const s of present) {
              const got = await engine.listMessages(s);
              expect(
                got.map((m) => [m.id, m.text]),
                `${ctx}: session ${s}`,
              ).toEqual((messages[s] as string[]).map((id) => [id, bulkText(id)]));
              kept.add(s);
            }
          }
          await engine.flush();
        } finally {
          await engine.close();
        }
        // After the reopen's replay every store holds exactly the journal's items, and the graph its links.
        const after = readStores(dataDir);
        const items = after.items.map((i) => i.id);
        expect(after.vector.map((v) => v.id).sort(), `${ctx}: vector.db`).toEqual([...items].sort());
        expect(after.keyword.map((k) => k.id).sort(), `${ctx}: keyword.db`).toEqual([...items].sort());
        const chunks = after.nodes.filter((n) => n.kind === 'chunk').map((n) => n.id);
        expect(chunks.sort(), `${ctx}: graph.db`).toEqual([...items].sort());
        expect(items.length, `${ctx}: chunks`).toBe(kept.size * MESSAGES);
      }
      console.log(`bulk crash test: ${acked} acknowledged batches kept, ${cutOff} cut off (${cutOffKept} landed)`);
      expect(acked).toBeGreaterThanOrEqual(ROUNDS);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 1_200_000);
});
