/**
 * What the first paint waits for (issue 17: every view paints in under a second at 100,000 items): the first view's
 * reads start while the bundle is still loading and are not asked for twice; the bundle comes compressed and is
 * cached for good; the Graph draws one bounded neighbourhood without reading the whole graph, which it reads only
 * when asked to show it all; its entity search finds names it has not read yet. In light and dark.
 */
import type { Request } from '@playwright/test';
import { expect, snapshot, test } from './fixtures';
import { openView, writeSession } from './journeys';

const FIRST_PAGE = JSON.stringify([{ layer: 'm0', limit: 200, offset: 0 }]);

for (const scheme of ['light', 'dark'] as const) {
  test.describe(`first paint (${scheme})`, () => {
    test('Layers asks for its first page once, before the bundle has run; the bundle comes compressed, cached for good', async ({
      page,
      strata,
    }) => {
      await writeSession(strata);
      await page.emulateMedia({ colorScheme: scheme });
      const lists: string[] = [];
      page.on('request', (r: Request) => {
        if (r.url().endsWith('/api/list')) lists.push(r.postData() ?? '');
      });
      const bundle = page.waitForResponse((r) => /\/assets\/index-[\w-]+\.js$/.test(r.url()));
      await page.goto(strata.url);
      await expect(page.getByTestId('item-row').first()).toContainText(/\w/);
      // The early script's answers were the ones the app used: the page was asked for once, and by it.
      const taken = await page.evaluate(
        () => (window as unknown as { __strataEarlyTaken?: string[] }).__strataEarlyTaken,
      );
      expect(taken).toEqual(expect.arrayContaining([`list ${FIRST_PAGE}`, 'counts []', 'status []']));
      expect(lists.filter((b) => b === FIRST_PAGE)).toHaveLength(1);
      // The bundle is asked for before the two small scripts that block parsing, not after they arrive.
      const starts = await page.evaluate(() =>
        Object.fromEntries(
          performance.getEntriesByType('resource').map((e) => [
            e.name
              .split('/')
              .pop()
              ?.replace(/-[\w-]+\.js$/, ''),
            e.startTime,
          ]),
        ),
      );
      expect(starts.index).toBeLessThanOrEqual(starts['theme.js'] as number);
      expect(starts.index).toBeLessThanOrEqual(starts['early.js'] as number);
      const res = await bundle;
      const headers = res.headers();
      expect(['br', 'gzip']).toContain(headers['content-encoding']);
      expect(headers['cache-control']).toBe('public, max-age=31536000, immutable');
      // Under a third of the plain file (minified and compressed).
      expect(Number(headers['content-length'])).toBeLessThan(200_000);
      await snapshot(page, `layers-first-page-${scheme}`);
    });

    test('the Graph draws one bounded neighbourhood first, reads the whole graph only when asked, finds unread names', async ({
      page,
      strata,
    }) => {
      await writeSession(strata);
      await strata.call('flush');
      const whole = await strata.call('graph', { limit: 5000 });
      expect(whole.entities.length).toBeGreaterThan(3);
      await page.emulateMedia({ colorScheme: scheme });
      const reads: string[] = [];
      page.on('request', (r: Request) => {
        if (r.url().endsWith('/api/graph')) reads.push(r.postData() ?? '');
      });
      await page.goto(strata.url);
      await openView(page, 'graph');
      await expect(page.getByTestId('graph-counts')).toContainText(`of ${whole.totalEntities} entities`);
      expect(reads[0]).toBe(JSON.stringify([{ around: '', limit: 150 }]));
      expect(reads.every((b) => !b.includes('"limit":5000'))).toBe(true);
      // It starts from the most connected entity.
      const start = await strata.call('graph', { around: '', limit: 150 });
      const drawn = () =>
        page.evaluate(() =>
          (globalThis as unknown as { __strataGraph: { nodes(): { id(): string }[] } }).__strataGraph
            .nodes()
            .map((n) => n.id()),
        );
      expect(await drawn()).toContain(start.entities[0]?.id);
      await snapshot(page, `graph-first-${scheme}`);

      // An entity outside the first neighbourhood, if there is one, else any: found by name, then drawn around it.
      const shown = new Set(await drawn());
      const target = whole.entities.find((e) => !shown.has(e.id)) ?? whole.entities[whole.entities.length - 1];
      if (!target) throw new Error('no entity');
      await page.getByTestId('graph-search').fill(target.name);
      await page.getByTestId('graph-search').press('Enter');
      await expect(page.getByTestId('entity-facts').getByRole('heading')).toHaveText(target.name);
      await expect.poll(drawn).toContain(target.id);
      expect(reads).toContain(JSON.stringify([{ around: target.id, limit: 150 }]));
      expect(reads.every((b) => !b.includes('"limit":5000'))).toBe(true);

      await page.getByTestId('graph-full').click();
      await expect(page.getByTestId('graph-counts')).toHaveText(
        new RegExp(`^${whole.entities.length} of ${whole.totalEntities} entities`),
      );
      expect(reads).toContain(JSON.stringify([{ limit: 5000 }]));
    });
  });
}
