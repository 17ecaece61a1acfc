/**
 * The app's journeys, written once and run by both the browser-mode tests (e2e/app.e2e.ts) and the Electron ones
 * (e2e/electron/app.electron.ts): the page is the app, `strata.call` reaches the same engine as the page does.
 */
import type { Page } from '@playwright/test';
import type { Layer } from '../src/shared/types';
import { LOCOMO_PATH, loadLocomo } from '../test/support/locomo';
import { expect, type Strata, snapshot } from './fixtures';

export type Engine = Pick<Strata, 'call'>;

async function engineCounts(strata: Engine): Promise<Record<Layer, number>> {
  const stats = await strata.call('stats');
  const out: Record<Layer, number> = { m0: 0, m1: 0, m2: 0 };
  for (const r of stats.layers) out[r.layer as Layer] += r.n;
  return out;
}

export async function openView(
  page: Page,
  view: 'layers' | 'graph' | 'timings' | 'query' | 'ingest' | 'settings',
): Promise<void> {
  await page.getByTestId(`nav-${view}`).click();
  await expect(page.getByTestId(`nav-${view}`)).toHaveAttribute('aria-selected', 'true');
}

/** Writes LoCoMo conv-30's first session straight through the API (M0 only is awaited). */
export async function writeSession(strata: Engine): Promise<void> {
  const conv = loadLocomo().find((c) => c.sampleId === 'conv-30');
  const first = conv?.sessions[0];
  if (!first) throw new Error('conv-30 session_1 missing from the LoCoMo file');
  await strata.call('createSession', {
    id: 'conv-30:session_1',
    title: 'conv-30 session 1',
    startedAt: first.startedAt,
  });
  await strata.call('addMessages', 'conv-30:session_1', first.messages);
}

/** imports a LoCoMo conversation through the UI, counts match the engine, a fact leads to its source message. */
export async function importJourney(page: Page, strata: Engine): Promise<void> {
  await openView(page, 'ingest');
  await page.getByTestId('import-file').setInputFiles(LOCOMO_PATH);
  await page.getByLabel('LoCoMo conversations').fill('conv-30');
  await page.getByRole('button', { name: 'Import' }).click();
  const job = page.getByTestId('import-job');
  await expect(job).toHaveCount(1);
  // conv-30: 19 sessions, 369 turns.
  await expect(job).toHaveAttribute('data-state', 'done', { timeout: 150_000 });
  for (const layer of ['m0', 'm1', 'm2']) {
    const bar = job.getByTestId(`progress-${layer}`);
    const total = Number(await bar.getAttribute('data-total'));
    expect(total).toBeGreaterThan(0);
    await expect(bar).toHaveAttribute('data-done', String(total));
  }
  await expect(job.getByTestId('progress-m0')).toHaveAttribute('data-total', '369');
  await snapshot(page, 'ingest');

  await openView(page, 'layers');
  const counts = await engineCounts(strata);
  for (const layer of ['m0', 'm1', 'm2'] as const) {
    expect(counts[layer]).toBeGreaterThan(0);
    await expect(page.getByTestId(`layer-tab-${layer}`)).toHaveAttribute('data-count', String(counts[layer]));
  }
  await expect(page.getByTestId('list-total')).toContainText(counts.m0.toLocaleString('en-US'));
  await snapshot(page, 'layers');

  // M2 facts: open the first, follow its provenance down to a source message.
  await page.getByTestId('layer-tab-m2').click();
  await page.getByLabel('Kind').selectOption('fact');
  const firstFact = page.locator('[data-testid="item-row"][data-kind="fact"]').first();
  await expect(firstFact).toBeVisible();
  const factId = (await firstFact.getAttribute('data-id')) ?? '';
  const provenance = await strata.call('get', factId);
  expect(provenance.messages.length).toBeGreaterThan(0);
  await firstFact.click();
  const detail = page.getByTestId('item-detail');
  await expect(detail.getByTestId('detail-kind')).toHaveText('fact');
  await expect(detail.getByTestId('detail-text')).toHaveText(provenance.item.text);
  await expect(detail.getByTestId('provenance-up').locator('.prov-item').first()).toContainText('episode');
  const source = detail.getByTestId('source-message').first();
  const messageId = (await source.getAttribute('data-id')) ?? '';
  const message = provenance.messages.find((m) => m.id === messageId);
  expect(message).toBeDefined();
  await snapshot(page, 'item-detail-fact');
  await source.click();
  await expect(detail.getByTestId('detail-kind')).toHaveText('message');
  await expect(detail.getByTestId('detail-text')).toContainText(message?.text ?? '(missing)');
  // And down again: the message's chunk, episode and this fact are derived from it.
  await expect(detail.getByTestId('provenance-down').locator(`[data-id="${factId}"]`)).toBeVisible();
  await snapshot(page, 'item-detail-message');

  // Graph: select an entity on the canvas and see its facts.
  await page.getByRole('button', { name: 'Close detail' }).click();
  await openView(page, 'graph');
  const canvas = page.getByTestId('graph-canvas');
  await expect(canvas).toBeVisible();
  const pos = await page.evaluate(() => {
    const cy = (
      globalThis as unknown as {
        __strataGraph: {
          nodes(): { renderedPosition(): { x: number; y: number }; data(k: string): unknown; length: number }[];
        };
      }
    ).__strataGraph;
    const n = cy.nodes()[0];
    return n ? { ...n.renderedPosition(), name: String(n.data('label')) } : null;
  });
  expect(pos).not.toBeNull();
  const box = await canvas.boundingBox();
  if (!pos || !box) throw new Error('no graph to click');
  await page.mouse.click(box.x + pos.x, box.y + pos.y);
  const facts = page.getByTestId('entity-facts');
  await expect(facts.locator('h3')).toHaveText(pos.name);
  await snapshot(page, 'graph');
}

/** a query returns the known evidence turn. */
export async function queryJourney(page: Page, strata: Engine): Promise<void> {
  await writeSession(strata);
  await openView(page, 'query');
  await page.getByLabel('Query text').fill('When Gina has lost her job at Door Dash?');
  await page.getByLabel('Returns').selectOption('messages');
  await page.getByRole('button', { name: 'Search' }).click();
  const hits = page.getByTestId('query-hit');
  await expect(hits.first()).toBeVisible();
  const ids = await hits.evaluateAll((els) => els.flatMap((e) => [e.getAttribute('data-id') ?? '']));
  // LoCoMo's evidence for this question is D1:3.
  expect(ids).toContain('conv-30:D1:3');
  await expect(page.getByTestId('query-trace')).toBeVisible();
  await snapshot(page, 'query');
}

/** a write's waterfall shows its store spans overlapping. */
export async function waterfallJourney(page: Page, strata: Engine): Promise<void> {
  // One write big enough (all 369 turns of conv-30) that each store's transaction takes measurable time.
  const conv = loadLocomo().find((c) => c.sampleId === 'conv-30');
  if (!conv) throw new Error('conv-30 missing from the LoCoMo file');
  await strata.call('createSession', { id: 'conv-30:all', title: 'conv-30' });
  await strata.call(
    'addMessages',
    'conv-30:all',
    conv.sessions.flatMap((x) => x.messages),
  );
  await openView(page, 'timings');
  await page.locator('[data-testid="trace-row"][data-kind="m0.addMessages"]').first().click();
  const bars = page.getByTestId('waterfall').getByTestId('span-bar');
  const spans = await bars.evaluateAll((els) =>
    els.map((e) => ({
      store: e.getAttribute('data-store') ?? '',
      start: Number(e.getAttribute('data-start')),
      end: Number(e.getAttribute('data-end')),
    })),
  );
  const stores = spans.filter((s) => ['vector', 'keyword', 'graph'].includes(s.store));
  expect(stores.map((s) => s.store).sort()).toEqual(['graph', 'keyword', 'vector']);
  // Parallel fan-out: the store writes run at once (three workers on two cores), so some two of them overlap.
  const overlapping = stores.flatMap((a, i) => stores.slice(i + 1).filter((b) => a.start < b.end && b.start < a.end));
  expect(overlapping.length).toBeGreaterThan(0);

  await page.getByRole('button', { name: /Profile/ }).click();
  const profile = page.getByTestId('profile-result');
  await expect(profile).toBeVisible({ timeout: 60_000 });
  const seq = await page
    .getByTestId('profile-sequential')
    .getByTestId('span-bar')
    .evaluateAll((els) =>
      els
        .filter((e) => ['vector', 'keyword', 'graph'].includes(e.getAttribute('data-store') ?? ''))
        .map((e) => ({ start: Number(e.getAttribute('data-start')), end: Number(e.getAttribute('data-end')) })),
    );
  // Sequential mode: each store starts after the previous one ended.
  seq.sort((a, b) => a.start - b.start);
  for (let i = 1; i < seq.length; i++) expect(seq[i]?.start ?? 0).toBeGreaterThanOrEqual(seq[i - 1]?.end ?? 0);
  await expect(page.getByTestId('percentiles')).toBeVisible();
  await snapshot(page, 'timings');
}

/** a malformed import shows its error in place and writes nothing. */
export async function malformedImportJourney(page: Page, strata: Engine): Promise<void> {
  await writeSession(strata);
  await strata.call('flush');
  const before = await strata.call('stats');
  const sessionsBefore = await strata.call('listSessions');
  await openView(page, 'ingest');
  await page.getByLabel('Format').selectOption('messages');
  await page
    .getByLabel('Content')
    .fill(JSON.stringify([{ speaker: 'Ann', text: 'First line is fine' }, { speaker: 'Bob' }]));
  await page.getByRole('button', { name: 'Import' }).click();
  const error = page.locator('.ingest-form [role="alert"]');
  await expect(error).toHaveAttribute('data-code', 'INVALID_INPUT');
  await expect(error).toContainText('messages[1].text: required');
  await snapshot(page, 'ingest-refused');

  await page.getByLabel('Format').selectOption('');
  await page.getByLabel('Content').fill('[{"speaker": "Ann", "text": "unterminated');
  await page.getByRole('button', { name: 'Import' }).click();
  await expect(error).toContainText('not valid JSON');
  await expect(page.getByTestId('import-job')).toHaveCount(0);

  const after = await strata.call('stats');
  expect(after.layers).toEqual(before.layers);
  expect(await strata.call('listSessions')).toEqual(sessionsBefore);
}

/** A fact that a later one contradicted shows when it stopped holding, and leads to its successor. */
export async function supersededJourney(page: Page, strata: Engine): Promise<void> {
  const first = await strata.call('createSession', { title: 'January', startedAt: '2023-01-01T10:00:00Z' });
  await strata.call('addMessages', first.id, [
    { speaker: 'Ann', text: 'I live in Paris with my two cats.', timestamp: '2023-01-01T10:00:00Z' },
  ]);
  const later = await strata.call('createSession', { title: 'June', startedAt: '2023-06-01T10:00:00Z' });
  await strata.call('addMessages', later.id, [
    { speaker: 'Ann', text: 'I live in Berlin now, since I moved in May.', timestamp: '2023-06-01T10:00:00Z' },
  ]);
  await strata.call('flush');
  const old = (await strata.call('list', { layer: 'm2', kind: 'fact', text: 'Paris' })).items[0];
  const successor = old?.links.find((l) => l.kind === 'superseded_by')?.dst;
  expect(old?.validTo).not.toBeNull();
  expect(successor).toBeDefined();

  await openView(page, 'layers');
  await page.getByTestId('layer-tab-m2').click();
  await page.getByLabel('Kind').selectOption('fact');
  await page.getByLabel('Search text').fill('Paris');
  const row = page.locator(`[data-testid="item-row"][data-id="${old?.id}"]`);
  await expect(row).toContainText('superseded');
  await row.click();
  const detail = page.getByTestId('item-detail');
  await expect(detail.getByTestId('valid-to')).not.toHaveText('still holds');
  await expect(detail.getByTestId('fact-decisions')).toContainText('update');
  await snapshot(page, 'item-detail-superseded');
  await detail.getByRole('button', { name: successor ?? '(none)' }).click();
  await expect(detail.getByTestId('detail-text')).toHaveText('Ann lives in Berlin.');
  await expect(detail.getByTestId('valid-to')).toHaveText('still holds');
  await detail.getByRole('button', { name: 'Back' }).click();
  await expect(detail.getByTestId('detail-text')).toContainText('Paris');
}
