/**
 * Crash safety with real processes: a child (crash-child.ts) writes and deletes messages
 * continuously on one data directory and is SIGKILLed at a random moment, round after round.
 * After each kill the test opens the engine on the same directory (which replays whatever a
 * store missed) and checks that every acknowledged write is in the journal and in every store,
 * every acknowledged delete is gone from all of them, writes and deletes cut off mid-flight are
 * all-or-nothing, the vector, keyword and graph stores hold exactly the journal's items, and the
 * graph's edges are exactly the journal's links. Odd rounds run the child with `durability: 'power'`,
 * even rounds with `'process'`; every third round times the kill from the start of a delete, and every sixth
 * (from the second) from the first acknowledged delete.
 * The rounds are fixed in count and the seed is pinned (printed at the start; STRATA_CRASH_SEED varies it): the
 * random choices replay exactly, only the moment the kill lands in the child's stream varies with the machine.
 * Every wait is a budget for a machine five times slower than a loaded 2-core one (where a round takes ~8 s),
 * and no assertion depends on how long anything took.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { childScript } from '../../../../test/support/child';
import { messageText } from '../../../../test/support/crash-child';
import { rng } from '../../../shared/rng';
import { STORE_NAMES } from '../../../shared/types';
import { Engine } from '../engine';

const CHILD = fileURLToPath(new URL('../../../../test/support/crash-child.ts', import.meta.url));
/** The child as vitest's set-up bundled it (plain Node starts it without transpiling). */
const CHILD_BUNDLE = childScript('crash-child');
const ROOT = resolve(dirname(CHILD), '../..');
/** 22 rounds: at least 20 SIGKILLs even if a child dies on its own twice (that fails the test, naming the round). */
const ROUNDS = 22;
const DEFAULT_SEED = 20_261_201;
const SESSION = 'crash-session';
const FIRST_ACK_TIMEOUT_MS = 150_000;
const OPEN_TIMEOUT_MS = 150_000;
/** The whole test: 271 s measured on a loaded 2-core machine (load ~8); a quiet one takes far less. */
const TEST_BUDGET_MS = 1_200_000;

interface ChildRun {
  sessionSeen: boolean;
  /** Ids announced before an addMessages call (acknowledged or not). */
  written: string[];
  acked: string[];
  ackLines: number;
  deleting: string[];
  deleted: string[];
  /** Bytes after the last newline when the child died: a line cut off by the kill, ignored. */
  partial: string;
  killedAfterMs: number;
  /** The kill was timed from the start of a delete. */
  killedInDelete: boolean;
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

/**
 * When to kill the child: `delayMs` after its first acknowledged write, or (`afterDelete`) `delayMs`
 * after the first delete it starts once a write was acknowledged, so the kill lands inside a delete
 * (before its journal commit, between the journal and the stores, or while the stores apply it).
 */
interface KillPlan {
  afterDelete: boolean;
  /** Time the kill from the first acknowledged delete instead, so some deletes are acknowledged however slow. */
  afterDeleteAck?: boolean;
  delayMs: number;
}

/** A delete comes every ~15 writes; if none starts within this long, the child is killed anyway. */
const DELETE_WAIT_MS = 20_000;

/** Spawns the child, waits for its first acknowledged write, kills it as planned, and collects its lines. */
function runChild(
  dataDir: string,
  round: number,
  seed: number,
  durability: 'power' | 'process',
  plan: KillPlan,
): Promise<ChildRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CHILD_BUNDLE, dataDir, String(round), SESSION, String(seed), durability], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: ChildRun = {
      sessionSeen: false,
      written: [],
      acked: [],
      ackLines: 0,
      deleting: [],
      deleted: [],
      partial: '',
      killedAfterMs: -1,
      killedInDelete: false,
      signal: null,
      code: null,
      stderr: '',
    };
    let buffer = '';
    let firstAckAt = 0;
    let killTimer: NodeJS.Timeout | null = null;
    const killIn = (ms: number): void => {
      if (killTimer) clearTimeout(killTimer);
      killTimer = setTimeout(() => {
        run.killedAfterMs = performance.now() - firstAckAt;
        child.kill('SIGKILL');
      }, ms);
    };
    let armedForDelete = false;
    let armedForDeleteAck = false;
    const noAck = setTimeout(() => {
      child.kill('SIGKILL');
    }, FIRST_ACK_TIMEOUT_MS);
    const onLine = (line: string): void => {
      const space = line.indexOf(' ');
      const tag = space < 0 ? line : line.slice(0, space);
      const rest = space < 0 ? '' : line.slice(space + 1);
      switch (tag) {
        case 'SESSION':
          run.sessionSeen = rest === SESSION;
          break;
        case 'W':
          run.written.push(...(JSON.parse(rest) as string[]));
          break;
        case 'ACK':
          run.acked.push(...(JSON.parse(rest) as string[]));
          run.ackLines++;
          if (firstAckAt === 0) {
            firstAckAt = performance.now();
            clearTimeout(noAck);
            armedForDelete = plan.afterDelete;
            armedForDeleteAck = plan.afterDeleteAck === true;
            killIn(plan.afterDelete || plan.afterDeleteAck ? DELETE_WAIT_MS : plan.delayMs);
          }
          break;
        case 'D':
          run.deleting.push(rest);
          if (armedForDelete) {
            armedForDelete = false;
            run.killedInDelete = true;
            killIn(plan.delayMs);
          }
          break;
        case 'DEL':
          run.deleted.push(rest);
          if (armedForDeleteAck) {
            armedForDeleteAck = false;
            killIn(plan.delayMs);
          }
          break;
        default:
          throw new Error(`unexpected line from the child: ${JSON.stringify(line)}`);
      }
    };
    let failed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl >= 0 && !failed) {
        try {
          onLine(buffer.slice(0, nl));
        } catch (err) {
          failed = true;
          child.kill('SIGKILL');
          reject(new Error(`round ${round}: ${(err as Error).message}`));
        }
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      run.stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(noAck);
      if (killTimer) clearTimeout(killTimer);
      run.partial = buffer;
      run.code = code;
      run.signal = signal;
      resolvePromise(run);
    });
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The journal's links and graph.db's edges, as sorted `src -kind-> dst` lines, read straight from
 * the files (read-only; the engine has no listing for them). The graph must hold exactly the journal's links.
 */
function linksAndEdges(dataDir: string): { links: string[]; edges: string[] } {
  const read = (file: string, sql: string): string[] => {
    const db = new Database(join(dataDir, file), { readonly: true, fileMustExist: true });
    try {
      return db
        .prepare<[], { src: string; dst: string; kind: string }>(sql)
        .all()
        .map((r) => `${r.src} -${r.kind}-> ${r.dst}`)
        .sort();
    } finally {
      db.close();
    }
  };
  return {
    links: read('core.db', 'SELECT src, dst, kind FROM links'),
    edges: read('graph.db', 'SELECT src, dst, kind FROM edges'),
  };
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();
const chunkId = (messageId: string): string => `chunk:${messageId}`;

describe('crash safety (real processes, SIGKILL mid-write)', () => {
  it(
    `keeps every acknowledged write and delete across ${ROUNDS} kills, and every store equal to the journal`,
    async () => {
      const seed = Number(process.env.STRATA_CRASH_SEED ?? DEFAULT_SEED);
      console.log(`crash test: seed ${seed} (set STRATA_CRASH_SEED to vary it), ${ROUNDS} rounds`);
      const rnd = rng(seed);
      const dataDir = mkdtempSync(join(tmpdir(), 'strata-crash-'));
      const ctx = (round: number): string => `seed ${seed}, round ${round}, dataDir ${dataDir}`;

      /** Exactly the messages the journal held after the previous round's check. */
      let present = new Set<string>();
      const everDeleted = new Set<string>();
      let kills = 0;
      let roundsWithAcks = 0;
      let totalAcked = 0;
      let totalDeleted = 0;
      let inFlightWrites = 0;
      let inFlightWritesKept = 0;
      let inFlightDeletes = 0;
      let inFlightDeletesKept = 0;
      let killsInDelete = 0;
      let lastJournalSeq = 0;
      const edgeProblems: string[] = [];
      const seenEdgeProblems = new Set<string>();
      const started = performance.now();

      for (let round = 1; round <= ROUNDS; round++) {
        // Two rounds in three: a kill at a random moment of the write stream (20–300 ms after the first ack).
        // Every third round: a kill 0–4 ms after a delete starts, to cut deletes off at every stage.
        const afterDelete = round % 3 === 0;
        // On a loaded machine a delete can take longer than any fixed delay: a fixed share of the rounds waits for
        // one to be acknowledged before the kill is timed, so acknowledged deletes are always put to the test.
        const afterDeleteAck = round % 6 === 1;
        const delayMs = afterDelete ? Math.floor(rnd() * 5) : 20 + Math.floor(rnd() * 281);
        // Both durability settings promise that an acknowledged write survives the death of the process.
        const durability = round % 2 === 0 ? 'process' : 'power';
        const run = await runChild(dataDir, round, seed + round, durability, { afterDelete, afterDeleteAck, delayMs });
        if (run.killedInDelete) killsInDelete++;
        if (run.signal !== 'SIGKILL' || run.killedAfterMs < 0) {
          throw new Error(
            `${ctx(round)}: the child was not killed by the test (exit code ${run.code}, signal ${run.signal}, ` +
              `${run.ackLines} acks)\n${run.stderr}`,
          );
        }
        kills++;
        expect(run.sessionSeen, `${ctx(round)}: child never reported its session`).toBe(true);
        expect(run.acked.length, `${ctx(round)}: killed before any acknowledged write`).toBeGreaterThan(0);
        roundsWithAcks++;
        totalAcked += run.acked.length;
        totalDeleted += run.deleted.length;

        const acked = new Set(run.acked);
        const deleted = new Set(run.deleted);
        const uncertainWrites = new Set(run.written.filter((id) => !acked.has(id)));
        const uncertainDeletes = new Set(run.deleting.filter((id) => !deleted.has(id)));
        const written = new Set(run.written);
        expect(
          run.acked.filter((id) => !written.has(id)),
          `${ctx(round)}: acknowledged ids the child never announced`,
        ).toEqual([]);
        for (const id of deleted) everDeleted.add(id);

        const before = new Set([...present, ...acked]);
        const mustExist = sorted([...before].filter((id) => !deleted.has(id) && !uncertainDeletes.has(id)));
        const mayExist = new Set([
          ...mustExist,
          ...uncertainWrites,
          ...[...uncertainDeletes].filter((id) => before.has(id)),
        ]);

        const engine = await withTimeout(
          Engine.open({ dataDir, layers: false, chunking: { shortTokens: 0, maxTokens: 1_000_000 } }),
          OPEN_TIMEOUT_MS,
          `${ctx(round)}: Engine.open`,
        );
        try {
          // Opening replayed whatever a store missed: all healthy and at the journal's end.
          const status = engine.status();
          expect(status.open).toBe(true);
          expect(status.journalSeq, `${ctx(round)}: journal seq did not advance`).toBeGreaterThan(lastJournalSeq);
          lastJournalSeq = status.journalSeq;
          // Replay alone must suffice after a kill: no store failed, none needed a rebuild from scratch.
          expect(
            status.stores.map(({ store, healthy, appliedSeq, pendingOps, failures, lastError, rebuilds }) => ({
              store,
              healthy,
              appliedSeq,
              pendingOps,
              failures,
              lastError,
              rebuilds,
            })),
            `${ctx(round)}: store status after reopen`,
          ).toEqual(
            STORE_NAMES.map((store) => ({
              store,
              healthy: true,
              appliedSeq: status.journalSeq,
              pendingOps: 0,
              failures: 0,
              lastError: null,
              rebuilds: 0,
            })),
          );

          // The journal: every acknowledged, undeleted message, and nothing that was never written or was deleted.
          const messages = await engine.listMessages(SESSION);
          const journalIds = messages.map((m) => m.id);
          const journalSet = new Set(journalIds);
          expect(journalSet.size, `${ctx(round)}: duplicate message ids in the journal`).toBe(journalIds.length);
          expect(
            mustExist.filter((id) => !journalSet.has(id)),
            `${ctx(round)}: acknowledged messages missing from the journal`,
          ).toEqual([]);
          expect(
            journalIds.filter((id) => !mayExist.has(id)),
            `${ctx(round)}: journal holds messages that were deleted or never written`,
          ).toEqual([]);
          expect(
            journalIds.filter((id) => everDeleted.has(id)),
            `${ctx(round)}: deleted messages back in the journal`,
          ).toEqual([]);
          for (const m of messages) {
            if (m.text !== messageText(m.id) || m.sessionId !== SESSION) {
              throw new Error(`${ctx(round)}: message ${m.id} has the wrong text or session in the journal`);
            }
          }
          const sessions = await engine.listSessions();
          expect(sessions.map((s) => s.id)).toEqual([SESSION]);

          // One M0 chunk per message in the journal's items, and exactly those items in every store.
          const coreItems = await engine.storage.storeIds('core');
          expect(coreItems, `${ctx(round)}: journal items vs journal messages`).toEqual(
            sorted(journalIds.map(chunkId)),
          );
          const coreItemSet = new Set(coreItems);
          for (const store of STORE_NAMES) {
            const ids = await engine.storage.storeIds(store);
            const idSet = new Set(ids);
            expect(
              mustExist.filter((id) => !idSet.has(chunkId(id))),
              `${ctx(round)}: acknowledged chunks missing from ${store}.db`,
            ).toEqual([]);
            expect(
              ids.filter((id) => !coreItemSet.has(id)),
              `${ctx(round)}: ${store}.db holds items the journal does not`,
            ).toEqual([]);
            expect(
              [...everDeleted].filter((id) => idSet.has(chunkId(id))),
              `${ctx(round)}: ${store}.db still holds chunks of deleted messages`,
            ).toEqual([]);
            expect(ids, `${ctx(round)}: ${store}.db item ids vs the journal's`).toEqual(coreItems);
          }

          // Row counts: nothing hiding behind the id listings (vec rows without ids, stray graph nodes).
          const core = await engine.storage.storeCounts('core');
          expect(core, `${ctx(round)}: core counts`).toEqual({ rows: coreItems.length, ids: journalIds.length });
          const vector = await engine.storage.storeCounts('vector');
          expect(vector, `${ctx(round)}: vector counts`).toMatchObject({
            rows: coreItems.length,
            ids: coreItems.length,
          });
          const keyword = await engine.storage.storeCounts('keyword');
          expect(keyword, `${ctx(round)}: keyword counts`).toEqual({ rows: coreItems.length, ids: coreItems.length });
          const graph = await engine.storage.storeCounts('graph');
          const graphNodes = coreItems.length + journalIds.length + sessions.length;
          expect(
            { rows: graph.rows, nodes: graph.nodes },
            `${ctx(round)}: graph nodes (items + messages + sessions)`,
          ).toEqual({ rows: graphNodes, nodes: graphNodes });

          // Graph edges: exactly the journal's links (containment, order, provenance), none touching a deleted
          // message. A divergence stays in the file once made, so each is recorded once, in the round it appeared,
          // and the item checks above keep running over every round; the edge verdict comes at the end.
          const { links, edges } = linksAndEdges(dataDir);
          expect(graph.edges, `${ctx(round)}: graph edge count`).toBe(edges.length);
          const edgeSet = new Set(edges);
          const linkSet = new Set(links);
          const note = (kind: string, edge: string): void => {
            const key = `${kind} ${edge}`;
            if (seenEdgeProblems.has(key)) return;
            seenEdgeProblems.add(key);
            edgeProblems.push(`round ${round}: ${kind}: ${edge}`);
          };
          for (const l of links) if (!edgeSet.has(l)) note('journal link missing from graph.db', l);
          for (const e of edges) if (!linkSet.has(e)) note('graph.db edge not in the journal', e);
          for (const e of edges) {
            const [src = '', , dst = ''] = e.split(' ');
            const ends = [src, dst].map((x) => (x.startsWith('chunk:') ? x.slice('chunk:'.length) : x));
            if (ends.some((x) => everDeleted.has(x))) note('graph.db edge touching a deleted message', e);
          }

          // Writes and deletes the kill cut off are all-or-nothing; the journal now decides them.
          inFlightWrites += uncertainWrites.size;
          inFlightWritesKept += [...uncertainWrites].filter((id) => journalSet.has(id)).length;
          inFlightDeletes += uncertainDeletes.size;
          for (const id of uncertainDeletes) {
            if (journalSet.has(id)) inFlightDeletesKept++;
            else everDeleted.add(id);
          }
          present = journalSet;
        } finally {
          await engine.close();
        }
      }

      const elapsed = ((performance.now() - started) / 1000).toFixed(1);
      console.log(
        `crash test: seed ${seed}, ${kills} kills in ${elapsed} s, ${totalAcked} acked messages, ` +
          `${totalDeleted} acked deletes, ${inFlightWrites} messages in flight at a kill (${inFlightWritesKept} ` +
          `committed), ${killsInDelete} kills timed from a delete, ${inFlightDeletes} deletes in flight ` +
          `(${inFlightDeletes - inFlightDeletesKept} committed), ${present.size} messages at the end, ` +
          `${edgeProblems.length} graph edge divergences`,
      );
      expect(edgeProblems, `seed ${seed}, dataDir ${dataDir}: graph.db edges vs the journal's links`).toEqual([]);
      expect(kills).toBeGreaterThanOrEqual(20);
      expect(roundsWithAcks).toBe(kills);
      expect(totalAcked).toBeGreaterThanOrEqual(kills);
      expect(totalDeleted, 'no delete was ever acknowledged').toBeGreaterThan(0);
      expect(inFlightWrites, 'no kill ever landed while a write was in flight').toBeGreaterThan(0);
      expect(killsInDelete, 'no kill was timed from a delete').toBeGreaterThan(0);
      expect(inFlightDeletes, 'no kill ever landed while a delete was in flight').toBeGreaterThan(0);
      expect(present.size).toBeGreaterThan(0);
      rmSync(dataDir, { recursive: true, force: true });
    },
    TEST_BUDGET_MS,
  );
});
