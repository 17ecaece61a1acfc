/**
 * Settings through the app's API on a real engine: the view never carries the API key; export and backup write
 * into the data folder's `exports/` and `backups/` and the bridge streams them back only with the token and only
 * from there; switching the embedder re-embeds every vector (progress events, calls meanwhile wait) and records
 * the choice; a cancelled switch goes back to the previous embedder with a usable store.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Bridge, startBridge } from '../../server/bridge';
import type { StrataEvent } from '../../shared/app-types';
import type { ReembedJob } from '../../shared/settings-schema';
import { StrataApp } from './app';
import { loadSettings } from './settings';
import { downloadable } from './settings-actions';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'strata-settings-app-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function seeded(dataDir: string, messages = 40): Promise<StrataApp> {
  const app = await StrataApp.open({ dataDir, embedder: 'hashing', embedWorkers: 1, layers: false });
  await app.api.createSession({ id: 's1', title: 'one' });
  await app.api.addMessages(
    's1',
    Array.from({ length: messages }, (_, i) => ({
      speaker: i % 2 ? 'Ann' : 'Bo',
      text: `message ${i} about the lake cabin`,
    })),
  );
  return app;
}

function waitFor(app: StrataApp, done: (job: ReembedJob) => boolean): Promise<ReembedJob[]> {
  const seen: ReembedJob[] = [];
  return new Promise((resolve) => {
    const off = app.subscribe((e: StrataEvent) => {
      if (e.type !== 'reembed') return;
      seen.push(e.job);
      if (done(e.job)) {
        off();
        resolve(seen);
      }
    });
  });
}

describe('settings in the app', () => {
  it('shows the embedder and vectors, keeps the API key out of every answer', async () => {
    const dir = temp();
    const app = await seeded(dir);
    try {
      const saved = await app.api.saveSettings({
        llm: { url: 'http://127.0.0.1:9/v1', model: 'm', apiKey: 'sk-hidden' },
      });
      expect(JSON.stringify(saved)).not.toContain('sk-hidden');
      expect(saved.settings.llm).toMatchObject({ enabled: false, apiKeySet: true, url: 'http://127.0.0.1:9/v1' });
      expect(saved.embedder).toMatchObject({ kind: 'hashing', dim: 512 });
      expect(saved.embedder.vectors).toBe((await app.api.stats()).stores.vector.rows);
      expect(saved.embedder.vectors).toBeGreaterThan(0);
      expect(saved).toMatchObject({ dataDir: dir, canOpenFolder: false, problem: null });
      expect(await app.api.openDataFolder()).toEqual({ opened: false, path: dir });
      const cleared = await app.api.saveSettings({ llm: { apiKey: '' } });
      expect(cleared.settings.llm.apiKeySet).toBe(false);
      writeFileSync(join(dir, 'settings.json'), '{"theme": 3}');
      const bad = await app.api.settings();
      expect(bad.problem).toMatchObject({ code: 'SETTINGS_INVALID', details: { field: 'theme' } });
      expect(bad.settings.theme).toBe('system');
    } finally {
      await app.close();
    }
  });

  it('exports and backs up into the data folder; the bridge streams them back with the token only', async () => {
    const dir = temp();
    const app = await seeded(dir, 6);
    const renderer = temp();
    writeFileSync(join(renderer, 'index.html'), '<!doctype html>');
    let bridge: Bridge | undefined;
    try {
      const files = await app.api.exportData();
      expect(files.map((f) => f.download)).toEqual([
        expect.stringMatching(/^exports\/strata-export-.*\.jsonl$/),
        expect.stringMatching(/^exports\/strata-export-.*\.md$/),
      ]);
      const jsonl = readFileSync(files[0]?.path ?? '', 'utf8');
      expect(jsonl).toContain('message 5 about the lake cabin');
      const backup = await app.api.backupData();
      expect(backup.download).toMatch(/^backups\/strata-backup-.*\.strata-backup$/);
      expect(backup.bytes).toBeGreaterThan(0);
      const elsewhere = temp();
      const [outside] = await app.api.exportData({ dir: elsewhere });
      expect(outside?.download).toBeNull();

      bridge = await startBridge({
        api: app.api,
        subscribe: (l) => app.subscribe(l),
        rendererDir: renderer,
        dataDir: dir,
      });
      const get = (file: string, token: string | null = bridge?.token ?? '') =>
        fetch(`http://127.0.0.1:${bridge?.port}/api/download?file=${encodeURIComponent(file)}`, {
          headers: token ? { Authorization: `Bearer ${token}` } : {},
        });
      const ok = await get(files[0]?.download ?? '');
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-disposition')).toMatch(/^attachment; filename="strata-export-.*\.jsonl"$/);
      expect(await ok.text()).toBe(jsonl);
      expect((await get(files[0]?.download ?? '', null)).status).toBe(401);
      expect((await get(files[0]?.download ?? '', 'f'.repeat(64))).status).toBe(401);
      for (const bad of ['core.db', 'exports/../core.db', '/etc/passwd', 'exports/nothing.jsonl', 'backups']) {
        const res = await get(bad);
        expect(res.status, bad).toBe(404);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
      }
      symlinkSync(join(dir, 'core.db'), join(dir, 'exports', 'link.db'));
      expect(() => downloadable(dir, 'exports/link.db')).toThrow(/no export or backup/);
    } finally {
      await bridge?.close();
      await app.close();
    }
  });

  it('switching the embedder re-embeds every vector with progress, and the memory answers after', async () => {
    const dir = temp();
    const app = await seeded(dir);
    try {
      const vectors = (await app.api.stats()).stores.vector.rows;
      const plan = await app.api.reembedPlan({ to: 'static' });
      expect(plan).toMatchObject({ to: 'static', vectors });
      expect(plan.from).toMatch(/^hashing/);
      const events = waitFor(app, (j) => j.state === 'done' || j.state === 'failed');
      const job = await app.api.startReembed({ to: 'static' });
      expect(job).toMatchObject({ state: 'running', total: vectors });
      await expect(app.api.startReembed({ to: 'static' })).rejects.toMatchObject({ code: 'REEMBEDDING' });
      // A call made meanwhile waits for the reopened engine instead of failing.
      const hits = app.api.query({ text: 'lake cabin', k: 3 });
      const seen = await events;
      expect(seen.at(-1)).toMatchObject({ state: 'done', done: vectors, total: vectors, error: null });
      expect(seen.some((j) => j.state === 'running' && j.done > 0)).toBe(true);
      expect((await hits).hits.length).toBeGreaterThan(0);
      const view = await app.api.settings();
      expect(view.embedder).toMatchObject({ kind: 'static', vectors });
      expect(loadSettings(dir).settings.embedder).toBe('static');
      await expect(app.api.startReembed({ to: 'static' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    } finally {
      await app.close();
    }
    // The next run opens the folder with the embedder it was re-embedded with, unasked.
    const again = await StrataApp.open({ dataDir: dir, embedWorkers: 1, layers: false });
    try {
      expect((await again.api.settings()).embedder.kind).toBe('static');
    } finally {
      await again.close();
    }
  });

  it('a cancelled switch goes back to the previous embedder, every vector usable', async () => {
    const dir = temp();
    const app = await seeded(dir, 60);
    try {
      const cancelled = new Promise<ReembedJob[]>((resolve) => {
        const seen: ReembedJob[] = [];
        const off = app.subscribe((e) => {
          if (e.type !== 'reembed') return;
          seen.push(e.job);
          if (e.job.state === 'cancelled' || e.job.state === 'done' || e.job.state === 'failed') {
            off();
            resolve(seen);
          }
        });
      });
      const vectors = (await app.api.stats()).stores.vector.rows;
      await app.api.startReembed({ to: 'static' });
      // Checked after each page of vectors: the first page ends it.
      expect(await app.api.cancelReembed()).toMatchObject({ state: 'cancelling' });
      const seen = await cancelled;
      expect(seen.at(-1), JSON.stringify(seen.at(-1))).toMatchObject({ state: 'cancelled', error: null });
      expect(seen.some((j) => j.state === 'cancelling')).toBe(true);
      const view = await app.api.settings();
      expect(view.embedder).toMatchObject({ kind: 'hashing', vectors });
      expect(loadSettings(dir).settings.embedder).toBeUndefined();
      expect((await app.api.query({ text: 'message 12 lake cabin', k: 3 })).hits.length).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  });
});
