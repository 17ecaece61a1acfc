import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCOMO_PATH } from '../../../test/support/locomo';
import type { ImportJob, StrataEvent } from '../../shared/app-types';
import { StrataApp } from './app';
import { parseImport } from './import';

const LOCOMO = readFileSync(LOCOMO_PATH, 'utf8');
const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'import');

describe('parseImport', () => {
  it('reads LoCoMo conversations into one session per LoCoMo session, with LoCoMo ids', () => {
    const { format, sessions } = parseImport({ name: 'locomo7.json', content: LOCOMO, samples: ['conv-30'] });
    expect(format).toBe('locomo');
    expect(sessions).toHaveLength(19);
    expect(sessions.reduce((n, s) => n + s.messages.length, 0)).toBe(369);
    expect(sessions[0]?.session).toMatchObject({ id: 'conv-30:session_1', participants: ['Jon', 'Gina'] });
    expect(sessions[0]?.messages[2]).toMatchObject({ id: 'conv-30:D1:3', externalId: 'D1:3', speaker: 'Gina' });
  });

  it('reads a JSON array of messages, grouped by session when they name one', () => {
    const content = JSON.stringify([
      { speaker: 'Ann', text: 'Hello', timestamp: '2024-03-01T10:00:00Z', session: 'a' },
      { role: 'assistant', content: 'Hi Ann', timestamp: 1709287260000, session: 'a' },
      { speaker: 'Bob', text: 'Other chat', session: 'b' },
    ]);
    const { format, sessions } = parseImport({ name: 'chat.json', content });
    expect(format).toBe('messages');
    expect(sessions.map((s) => s.messages.length)).toEqual([2, 1]);
    expect(sessions[0]?.messages[1]).toMatchObject({ role: 'assistant', text: 'Hi Ann' });
  });

  it('reads plain text, one "Speaker: text" per line, continuation lines joined', () => {
    const { format, sessions } = parseImport({
      name: 'notes.txt',
      content: 'Ann: I moved to Lisbon.\nIt is sunny.\n\nBob: Nice!',
    });
    expect(format).toBe('text');
    expect(sessions[0]?.messages.map((m) => [m.speaker, m.text])).toEqual([
      ['Ann', 'I moved to Lisbon.\nIt is sunny.'],
      ['Bob', 'Nice!'],
    ]);
  });

  it.each([
    ['not JSON', { content: '[{"text": "open', format: 'messages' as const }, /^bad: not valid JSON/],
    ['a message without text', { content: '[{"speaker": "Ann"}]' }, /^messages\[0\]\.text: required$/],
    ['an unknown role', { content: '[{"role": "robot", "text": "hi"}]' }, /^messages\[0\]\.role: expected user/],
    ['a bad timestamp', { content: '[{"speaker": "A", "text": "x", "timestamp": "soon"}]' }, /timestamp/],
    ['an empty array', { content: '[]' }, /^file: the array holds no messages$/],
    ['a LoCoMo turn without text', { content: JSON.stringify([brokenLocomo()]) }, /session_1\[0\]\.text: required/],
    ['a missing sample', { content: LOCOMO, samples: ['conv-999'] }, /^samples: none of conv-999/],
  ])('refuses %s, naming the place', (_why, input, message) => {
    expect(() => parseImport({ name: 'bad', ...input })).toThrow(message);
    try {
      parseImport({ name: 'bad', ...input });
    } catch (err) {
      expect((err as { code: string }).code).toBe('INVALID_INPUT');
    }
  });
});

function brokenLocomo() {
  return {
    sample_id: 'conv-x',
    conversation: {
      speaker_a: 'A',
      speaker_b: 'B',
      session_1_date_time: '1:56 pm on 8 May, 2023',
      session_1: [{ speaker: 'A', dia_id: 'D1:1' }],
    },
  };
}

describe('import jobs on a real engine', () => {
  let dir: string;
  let app: StrataApp;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strata-import-'));
    app = await StrataApp.open({ dataDir: dir, embedder: 'hashing' });
  });
  afterEach(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const finished = (jobId: string) =>
    new Promise<ImportJob>((resolve) => {
      const off = app.subscribe((e: StrataEvent) => {
        if (e.type === 'import' && e.job.id === jobId && e.job.state !== 'running') {
          off();
          resolve(e.job);
        }
      });
    });

  it('writes every message, reports each layer to the end, and refuses the same file twice', async () => {
    const events: ImportJob[] = [];
    app.subscribe((e) => {
      if (e.type === 'import') events.push(e.job);
    });
    const job = await app.api.startImport({ name: 'conv-30', content: LOCOMO, samples: ['conv-30'] });
    expect(job).toMatchObject({ state: 'running', sessions: 19, messages: 369 });
    const done = await finished(job.id);
    expect(done.state).toBe('done');
    expect(done.progress).toEqual({
      m0: { done: 369, total: 369 },
      m1: { done: 19, total: 19 },
      m2: { done: 19, total: 19 },
    });
    // Progress only moves forward, layer by layer.
    for (let i = 1; i < events.length; i++) {
      for (const l of ['m0', 'm1', 'm2'] as const) {
        expect(events[i]?.progress[l].done).toBeGreaterThanOrEqual(events[i - 1]?.progress[l].done ?? 0);
      }
    }
    const sessions = await app.api.listSessions();
    expect(sessions).toHaveLength(19);
    const messages = await Promise.all(sessions.map((s) => app.api.listMessages(s.id)));
    expect(messages.flat()).toHaveLength(369);
    const stats = await app.api.stats();
    for (const layer of ['m0', 'm1', 'm2']) {
      expect(stats.layers.filter((r) => r.layer === layer).reduce((n, r) => n + r.n, 0)).toBeGreaterThan(0);
    }

    // The same file again: everything is a duplicate, nothing is written, and the job says so.
    const again = await app.api.startImport({ name: 'again', content: LOCOMO, samples: ['conv-30'] });
    expect(again).toMatchObject({ state: 'done', sessions: 0, messages: 0, duplicates: 369 });
    expect(await app.api.listSessions()).toHaveLength(19);
    const after = await Promise.all(sessions.map((s) => app.api.listMessages(s.id)));
    expect(after.flat()).toHaveLength(369);
  });

  it('stops after the batch in flight when cancelled; what was written stays and matches the progress', async () => {
    const job = await app.api.startImport({ name: 'conv-26', content: LOCOMO, samples: ['conv-26'] });
    const cancelled = await app.api.cancelImport(job.id);
    expect(cancelled.state).toBe('cancelled');
    let final = await app.api.importStatus(job.id);
    while (final.finishedAt === null) {
      await new Promise((r) => setTimeout(r, 20));
      final = await app.api.importStatus(job.id);
    }
    expect(final.state).toBe('cancelled');
    const sessions = await app.api.listSessions();
    const written = (await Promise.all(sessions.map((s) => app.api.listMessages(s.id)))).flat().length;
    expect(written).toBe(final.progress.m0.done);
    expect(written).toBeLessThan(419);
    await expect(app.api.importStatus('no-such-job')).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // What the cancelled job wrote can be removed; importing it again then writes everything.
    const removed = await app.api.removeImport(job.id);
    expect(removed.messages).toBe(written);
    expect(removed.job.removed).toBe(true);
    expect(await app.api.listSessions()).toHaveLength(0);
  });

  it('a killed import resumes: the same input again writes only what is missing', async () => {
    const job = await app.api.startImport({ name: 'conv-26', content: LOCOMO, samples: ['conv-26'] });
    await app.api.cancelImport(job.id);
    let final = await app.api.importStatus(job.id);
    while (final.finishedAt === null) {
      await new Promise((r) => setTimeout(r, 20));
      final = await app.api.importStatus(job.id);
    }
    const preview = await app.api.previewImport({ name: 'conv-26', content: LOCOMO, samples: ['conv-26'] });
    expect(preview.duplicates).toBe(final.progress.m0.done);
    expect(preview.newMessages).toBe(419 - final.progress.m0.done);
    const resumed = await app.api.startImport({ name: 'conv-26', content: LOCOMO, samples: ['conv-26'] });
    expect(resumed.messages).toBe(419 - final.progress.m0.done);
    expect((await finished(resumed.id)).state).toBe('done');
    const sessions = await app.api.listSessions();
    expect((await Promise.all(sessions.map((s) => app.api.listMessages(s.id)))).flat()).toHaveLength(419);
  });

  it('ChatGPT ZIP: preview before writing; a newer export adds only what is new', async () => {
    const zip = readFileSync(join(FIXTURES, 'chatgpt-export.zip')).toString('base64');
    const preview = await app.api.previewImport({ name: 'chatgpt.zip', content: zip, encoding: 'base64' });
    expect(preview).toMatchObject({
      format: 'chatgpt',
      sessions: 2,
      messages: 6,
      newSessions: 2,
      newMessages: 6,
      duplicates: 0,
      from: 1700000010000,
      to: 1700100060000,
      user: 'User',
    });
    expect(preview.speakers).toEqual([
      { speaker: 'User', messages: 3 },
      { speaker: 'ChatGPT', messages: 3 },
    ]);
    expect(await app.api.listSessions()).toHaveLength(0);
    const job = await app.api.startImport({ name: 'chatgpt.zip', content: zip, encoding: 'base64' });
    expect((await finished(job.id)).state).toBe('done');

    const newer = readFileSync(join(FIXTURES, 'chatgpt-newer', 'conversations.json'), 'utf8');
    const p2 = await app.api.previewImport({ name: 'conversations.json', content: newer });
    expect(p2).toMatchObject({ sessions: 3, messages: 8, newSessions: 1, newMessages: 2, duplicates: 6 });
    const j2 = await app.api.startImport({ name: 'conversations.json', content: newer });
    expect(j2).toMatchObject({ sessions: 2, messages: 2, duplicates: 6 });
    expect((await finished(j2.id)).state).toBe('done');
    const lisbon = await app.api.listMessages('chatgpt:c-lisbon');
    expect(lisbon.map((m) => m.id)).toEqual([
      'chatgpt:c-lisbon:m-2',
      'chatgpt:c-lisbon:m-3',
      'chatgpt:c-lisbon:m-4',
      'chatgpt:c-lisbon:m-5b',
      'chatgpt:c-lisbon:m-6',
    ]);
    expect((await app.api.listSessions()).map((s) => s.id).sort()).toEqual([
      'chatgpt:c-birthday',
      'chatgpt:c-lisbon',
      'chatgpt:c-python',
    ]);
  });

  it('a refused ZIP writes nothing', async () => {
    const zip = readFileSync(join(FIXTURES, 'escape.zip')).toString('base64');
    await expect(app.api.startImport({ name: 'escape.zip', content: zip, encoding: 'base64' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/escapes/),
    });
    expect(await app.api.listSessions()).toHaveLength(0);
  });
});
