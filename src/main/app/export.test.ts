import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCOMO_PATH } from '../../../test/support/locomo';
import { Engine } from '../engine/engine';
import { StrataApp } from './app';
import { exportJsonl, exportMarkdown, importExport, parseExport } from './export';

const LOCOMO = readFileSync(LOCOMO_PATH, 'utf8');
const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'strata-export-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function everything(engine: Engine) {
  const sessions = await engine.listSessions();
  const messages = (await Promise.all(sessions.map((s) => engine.listMessages(s.id)))).flat();
  const items = [];
  for (const layer of ['m0', 'm1', 'm2'] as const) {
    for (let offset = 0; ; offset += 1000) {
      const page = await engine.list(layer, {}, { limit: 1000, offset });
      items.push(...page.items);
      if (page.items.length < 1000) break;
    }
  }
  const byId = <T extends { id: string | number }>(a: T, b: T) => String(a.id).localeCompare(String(b.id));
  return {
    sessions: sessions.sort(byId),
    messages: messages.sort(byId),
    items: items
      .map((i) => ({
        ...i,
        sources: [...i.sources].sort(),
        links: [...i.links].sort((a, b) => `${a.kind}${a.dst}`.localeCompare(`${b.kind}${b.dst}`)),
      }))
      .sort(byId),
    decisions: await engine.decisions(),
    audit: await engine.auditLog({ limit: 1_000 }),
  };
}

// Builds M1/M2 for 19 sessions first: minutes on a loaded 2-core machine.
describe('export → import round trip', { timeout: 600_000 }, () => {
  it('gives back every session, message, item (all layers, provenance, validity), decision and audit entry', async () => {
    const app = await StrataApp.open({ dataDir: temp(), embedder: 'hashing' });
    const job = await app.api.startImport({ name: 'conv-30', content: LOCOMO, samples: ['conv-30'] });
    await new Promise<void>((resolve) => {
      const off = app.subscribe((e) => {
        if (e.type === 'import' && e.job.id === job.id && e.job.state !== 'running') {
          off();
          resolve();
        }
      });
    });
    await app.engine.flush();
    // Edits go into the audit log, which the export carries: a correction and a forget of one message.
    const fact = (await app.engine.list('m2', {}, { limit: 1000 })).items.find((i) => i.kind === 'fact');
    await app.engine.correct({
      id: fact?.id ?? '',
      text: 'Corrected: this fact was wrong',
      reason: 'test',
      actor: 'me',
    });
    const session = (await app.engine.listSessions())[0]?.id ?? '';
    const victim = (await app.engine.listMessages(session)).at(-1)?.id ?? '';
    await app.engine.forget({ ids: [victim], dryRun: false, reason: 'private' });
    await app.engine.flush();
    const before = await everything(app.engine);
    expect(before.audit.map((a) => a.action)).toEqual(['forget', 'correct']);
    expect(before.items.some((i) => i.layer === 'm2' && i.kind === 'fact')).toBe(true);
    expect(before.decisions.length).toBeGreaterThan(0);
    const lines: string[] = [];
    const counts = await exportJsonl(app.engine, (l) => {
      lines.push(l);
    });
    expect(counts).toMatchObject({ sessions: 19, messages: 368, items: before.items.length, audit: 2 });
    let md = '';
    await exportMarkdown(app.engine, (t) => {
      md += t;
    });
    expect(md).toMatch(/^# Strata memory/);
    expect(md).toContain('## conv-30 session 1');
    await app.close();

    const text = `${lines.join('\n')}\n`;
    expect(parseExport(text).header).toMatchObject({ type: 'strata-export', version: 1 });
    const target = await Engine.open({ dataDir: temp(), embedder: 'hashing', layers: false });
    try {
      const r = await importExport(target, text);
      expect(r).toEqual({
        sessions: 19,
        messages: 368,
        items: before.items.length,
        decisions: before.decisions.length,
        audit: 2,
      });
      const after = await everything(target);
      expect(after.sessions).toEqual(before.sessions);
      expect(after.messages).toEqual(before.messages);
      expect(after.items).toEqual(before.items);
      // Decisions in the same order with every field; their ids are the target's own rowids (nothing refers to
      // them), dense there where the source's have gaps from the forget.
      const noId = (ds: typeof before.decisions) => ds.map(({ id: _id, ...d }) => d);
      expect(noId(after.decisions)).toEqual(noId(before.decisions));
      // The audit log, entry by entry (ids are the target's own; time, actor, target, result and reason kept).
      expect(after.audit).toEqual(before.audit);
      // The imported items are searchable: the stores were written too.
      const hit = await target.query({ text: before.messages[0]?.text ?? '', k: 5 });
      expect(hit.hits.length).toBeGreaterThan(0);
      // Importing it again is refused: the sessions are there.
      await expect(importExport(target, text)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    } finally {
      await target.close();
    }
  });

  it('refuses a malformed export naming the line, and a newer version', () => {
    expect(() => parseExport('{"type":"session","id":"x"}')).toThrow(/^line 1: expected the strata-export header/);
    expect(() => parseExport('{"type":"strata-export","version":1}\n{"type":"item"}')).toThrow(
      /^line 2: item without an id/,
    );
    expect(() => parseExport('{"type":"strata-export","version":1}\n{oops')).toThrow(/^line 2: not valid JSON/);
    expect(() => parseExport('{"type":"strata-export","version":9}')).toThrow(
      expect.objectContaining({ code: 'SCHEMA_TOO_NEW' }),
    );
  });
});
