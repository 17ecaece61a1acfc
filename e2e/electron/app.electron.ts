/**
 * The browser-mode journeys in the desktop app: Electron launched on the built app with a fresh data folder per
 * test (STRATA_DATA_DIR) and the hashing embedder; engine calls go through the preload's `window.strata`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test as base, _electron as electron, type Page } from '@playwright/test';
import type { ApiResult, StrataApi } from '../../src/shared/api';
import type { Engine } from '../journeys';
import { importJourney, malformedImportJourney, queryJourney, supersededJourney, waterfallJourney } from '../journeys';

const ROOT = resolve(import.meta.dirname, '..', '..');

const test = base.extend<{ app: { page: Page; strata: Engine } }>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures name their dependencies by destructuring.
  app: async ({}, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strata-electron-'));
    const app = await electron.launch({
      args: [ROOT],
      env: { ...process.env, STRATA_EMBEDDER: 'hashing', STRATA_DATA_DIR: dataDir },
    });
    try {
      const page = await app.firstWindow();
      await page.waitForLoadState('domcontentloaded');
      // The preload answers ApiResults (plain objects survive contextBridge); unwrap them as the renderer does.
      const call = (async (method: keyof StrataApi, ...args: unknown[]) => {
        const res = (await page.evaluate(
          ([m, a]) =>
            (globalThis as unknown as { strata: Record<string, (...x: unknown[]) => Promise<unknown>> }).strata[
              m as string
            ]?.(...(a as unknown[])),
          [method, args] as const,
        )) as ApiResult<unknown>;
        if (!res.ok) throw new Error(`${res.error.code}: ${res.error.message}`);
        return res.value;
      }) as Engine['call'];
      await use({ page, strata: { call } });
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
});

test('imports a LoCoMo conversation through the UI, counts match the engine, a fact leads to its source message', async ({
  app,
}) => {
  await importJourney(app.page, app.strata);
});

test('a query returns the known evidence turn', async ({ app }) => {
  await queryJourney(app.page, app.strata);
});

test("a write's waterfall shows its store spans overlapping", async ({ app }) => {
  await waterfallJourney(app.page, app.strata);
});

test('a malformed import shows its error in place and writes nothing', async ({ app }) => {
  await malformedImportJourney(app.page, app.strata);
});

test('a superseded fact shows its validity and leads to its successor', async ({ app }) => {
  await supersededJourney(app.page, app.strata);
});
