/**
 * Forget means gone: text written, then deleted (a whole session, and one message of a session that stays), then
 * flushed and closed, is nowhere in the data directory: not in any of the four files, not in a WAL, not in the M2
 * decisions, not in a trace, not on a free page. Searched as raw bytes, the way someone reading the disk would.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import { Engine } from '../engine';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const FILES = ['core.db', 'vector.db', 'keyword.db', 'graph.db'];

/** Which of the directory's files (WAL and shared-memory files included) hold these bytes. */
function filesHolding(dir: string, text: string): string[] {
  const needle = Buffer.from(text, 'utf8');
  return readdirSync(dir)
    .filter((f) => FILES.some((db) => f.startsWith(db)))
    .filter((f) => readFileSync(join(dir, f)).includes(needle));
}

describe('forget means gone', () => {
  it('a deleted session and a deleted message leave no byte of their text in any file or WAL', async () => {
    const t = tempDir('strata-forget-');
    cleanups.push(t.cleanup);
    // Secrets in messages, chunks, episodes, facts, decisions, entity names and so in ids (`entity:locker code`).
    const secretSession = 'the locker code is quokkazebra7731 and the alarm word is ventriloquist9935';
    const secretMessage = 'my bank pin is marzipanoctopus4410, do not tell anyone';
    const kept = 'we talked about the garden and the tomatoes growing by the fence';
    const day = (d: number) => new Date(2024, 0, d, 10).getTime();

    const engine = await Engine.open({ dataDir: t.dir, embedder: 'hashing' });
    let open = true;
    cleanups.push(async () => {
      if (open) await engine.close();
    });
    await engine.createSession({ id: 'forget-me', participants: ['Ann', 'Bob'] });
    await engine.createSession({ id: 'keep-me', participants: ['Ann', 'Bob'] });
    await engine.addMessages('forget-me', [
      { speaker: 'Ann', text: `I live in Boston. ${secretSession}.`, timestamp: day(1) },
      { speaker: 'Bob', text: `Noted: ${secretSession}.`, timestamp: day(1) + 60_000 },
      { speaker: 'Ann', text: 'I work as a nurse at the hospital.', timestamp: day(1) + 120_000 },
    ]);
    const { messageIds } = await engine.addMessages('keep-me', [
      { speaker: 'Ann', text: kept, timestamp: day(2) },
      { speaker: 'Ann', text: `I love hiking. ${secretMessage}`, timestamp: day(2) + 60_000 },
      { speaker: 'Bob', text: 'I moved to Denver last year.', timestamp: day(2) + 120_000 },
    ]);
    await engine.flush();
    // The secrets really were stored, in text and in the derived layers, before the deletes.
    // (In a database file or still in its WAL, whichever a checkpoint has reached: the file is named without -wal.)
    const holding = new Set(filesHolding(t.dir, 'quokkazebra7731').map((f) => f.replace(/-wal$/, '')));
    expect([...holding]).toEqual(expect.arrayContaining(['core.db', 'keyword.db']));
    expect((await engine.decisions('forget-me')).length).toBeGreaterThan(0);

    await engine.deleteSession('forget-me');
    await engine.deleteMessage(messageIds[1] as string);
    await engine.flush();
    expect(await engine.decisions('forget-me')).toEqual([]);
    const leftDecisions = JSON.stringify(await engine.decisions());
    expect(leftDecisions).not.toContain('marzipanoctopus4410');
    await engine.close();
    open = false;

    for (const secret of ['quokkazebra7731', 'ventriloquist9935', 'marzipanoctopus4410', 'locker code', 'alarm word']) {
      expect({ secret, files: filesHolding(t.dir, secret) }).toEqual({ secret, files: [] });
    }
    // What was not deleted is still there (the search itself works).
    expect(filesHolding(t.dir, 'tomatoes growing by the fence')).toContain('core.db');
    for (const f of FILES) expect(existsSync(join(t.dir, f))).toBe(true);
  });
});
