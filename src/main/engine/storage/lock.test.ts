/**
 * One engine per directory: two processes racing for the lock, 20 times, half of them over a stale lock whose pid
 * is alive but belongs to another process now (a recycled pid); exactly one wins each time, and the other gets
 * STORE_LOCKED naming the winner. Plus the in-process and legacy cases.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { childScript } from '../../../../test/support/child';
import { tempDir } from '../../../../test/support/fixtures';
import { StrataError } from '../../../shared/errors';
import { acquireDirLock, processStart } from './lock';

/** The child as vitest's set-up bundled it (plain Node starts it without transpiling). */
const CHILD = childScript('lock-child');
const TRIALS = 20;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Child {
  proc: ChildProcessWithoutNullStreams;
  next(): Promise<string>;
}

function child(dir: string): Child {
  const proc = spawn(process.execPath, [CHILD, dir], { stdio: 'pipe' });
  const lines: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: proc.stdout }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else lines.push(l);
  });
  cleanups.push(() => {
    proc.kill('SIGKILL');
  });
  return {
    proc,
    next: () => {
      const l = lines.shift();
      if (l !== undefined) return Promise.resolve(l);
      return new Promise<string>((resolve, reject) => {
        waiting.push(resolve);
        proc.once('exit', (code) => reject(new Error(`lock child exited (${code})`)));
      });
    },
  };
}

const send = (c: Child, line: string) => c.proc.stdin.write(`${line}\n`);

describe('one engine per directory', () => {
  it(`two processes racing for the lock: exactly one wins, ${TRIALS} times out of ${TRIALS}`, async () => {
    const t = tempDir('strata-lock-');
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'strata.lock');
    const a = child(t.dir);
    const b = child(t.dir);
    expect([await a.next(), await b.next()]).toEqual(['ready', 'ready']);
    const pids = new Map([
      [a, a.proc.pid],
      [b, b.proc.pid],
    ]);
    const winners: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const stale = trial % 2 === 1;
      if (stale) {
        // This test runner is alive, but it is not the process that took this lock: its start time says so.
        writeFileSync(file, JSON.stringify({ pid: process.pid, start: 'another-boot:1', host: hostname() }));
      }
      const at = performance.timeOrigin + performance.now() + 100;
      send(a, `at ${at}`);
      send(b, `at ${at}`);
      const answers = [await a.next(), await b.next()];
      const ctx = `trial ${trial}${stale ? ' (over a stale lock)' : ''}: ${answers.join(' | ')}`;
      expect(
        answers.filter((x) => x === 'won'),
        ctx,
      ).toHaveLength(1);
      const winner = answers[0] === 'won' ? a : b;
      const lost = answers[winner === a ? 1 : 0] as string;
      expect(lost.startsWith('locked STORE_LOCKED'), ctx).toBe(true);
      // The lock names the winner; a loser that saw the lock names it too (one caught mid-takeover may not).
      expect(JSON.parse(readFileSync(file, 'utf8')).pid, ctx).toBe(pids.get(winner));
      const named = lost.split(' ')[2];
      if (named) expect(Number(named), ctx).toBe(pids.get(winner));
      winners.push(pids.get(winner) as number);
      send(winner, 'release');
      expect(await winner.next()).toBe('released');
      expect(existsSync(file), ctx).toBe(false);
    }
    expect(winners).toHaveLength(TRIALS);
    send(a, 'exit');
    send(b, 'exit');
  }, 300_000);

  it('a second lock in this process is refused naming it; released, the lock can be taken again', () => {
    const t = tempDir('strata-lock-');
    cleanups.push(t.cleanup);
    const first = acquireDirLock(t.dir);
    const err = (() => {
      try {
        acquireDirLock(t.dir);
      } catch (e) {
        return e as StrataError;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(StrataError);
    expect(err?.code).toBe('STORE_LOCKED');
    expect(err?.message).toContain('another engine in this process');
    const holder = JSON.parse(readFileSync(join(t.dir, 'strata.lock'), 'utf8'));
    expect(holder).toMatchObject({ pid: process.pid, start: processStart(process.pid), host: hostname() });
    first.release();
    expect(existsSync(join(t.dir, 'strata.lock'))).toBe(false);
    acquireDirLock(t.dir).release();
  });

  it('a lock whose pid is alive but started at another time (a recycled pid) is taken over', () => {
    const t = tempDir('strata-lock-');
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'strata.lock');
    // pid 1 is always alive; it did not start at this made-up time.
    writeFileSync(file, JSON.stringify({ pid: 1, start: 'another-boot:42', host: hostname() }));
    const lock = acquireDirLock(t.dir);
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
    lock.release();
    // The same pid with its true start time is the holder.
    writeFileSync(file, JSON.stringify({ pid: 1, start: processStart(1), host: hostname() }));
    expect(() => acquireDirLock(t.dir)).toThrow(/in use by process 1/);
  });
});
