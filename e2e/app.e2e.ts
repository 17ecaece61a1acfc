/**
 * The desktop app's journeys in browser mode (`npm run serve`), in Debian's Chromium, against a real engine
 * with the hashing embedder; one server and one fresh data directory per test.
 */
import { expect, snapshot, test } from './fixtures';
import { importJourney, malformedImportJourney, queryJourney, supersededJourney, waterfallJourney } from './journeys';

test('imports a LoCoMo conversation through the UI, counts match the engine, a fact leads to its source message', async ({
  page,
  strata,
}) => {
  await page.goto(strata.url);
  await importJourney(page, strata);
});

test('a query returns the known evidence turn', async ({ page, strata }) => {
  await page.goto(strata.url);
  await queryJourney(page, strata);
});

test("a write's waterfall shows its store spans overlapping", async ({ page, strata }) => {
  await page.goto(strata.url);
  await waterfallJourney(page, strata);
});

test('a malformed import shows its error in place and writes nothing', async ({ page, strata }) => {
  await page.goto(strata.url);
  await malformedImportJourney(page, strata);
});

test('a superseded fact shows its validity and leads to its successor', async ({ page, strata }) => {
  await page.goto(strata.url);
  await supersededJourney(page, strata);
});

test('follows the system theme, and switches views from the keyboard', async ({ page, strata }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(strata.url);
  await expect(page.locator('body')).toHaveCSS('background-color', 'rgb(22, 24, 28)');
  await expect(page.getByTestId('first-run')).toBeVisible();
  await snapshot(page, 'first-run-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await expect(page.locator('body')).toHaveCSS('background-color', 'rgb(255, 255, 255)');
  for (const [key, view] of [
    ['Alt+3', 'timings'],
    ['Alt+5', 'ingest'],
    ['Alt+1', 'layers'],
  ] as const) {
    await page.keyboard.press(key);
    await expect(page.getByTestId(`nav-${view}`)).toHaveAttribute('aria-selected', 'true');
  }
});

test('the bridge refuses requests without the token', async ({ page, strata }) => {
  const none = await fetch(`${strata.origin}/api/status`, { method: 'POST', body: '[]' });
  expect(none.status).toBe(401);
  expect(await none.json()).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  const wrong = await fetch(`${strata.origin}/api/status`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${'0'.repeat(64)}` },
    body: '[]',
  });
  expect(wrong.status).toBe(401);
  const events = await fetch(`${strata.origin}/api/events`);
  expect(events.status).toBe(401);
  // The page opened without its token says how to get in, instead of looking like an empty store.
  await page.goto(`${strata.origin}/`);
  await expect(page.getByTestId('needs-key')).toBeVisible();
});
