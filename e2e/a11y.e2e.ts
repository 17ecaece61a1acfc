/**
 * Accessibility of each main view, checked by axe-core in Chromium, in light and dark: no serious or critical
 * violation. Each view is checked with data in it (one LoCoMo session written), the way a person sees it.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, snapshot, test } from './fixtures';
import { openView, writeSession } from './journeys';

const VIEWS = ['layers', 'graph', 'timings', 'query', 'ingest'] as const;

for (const scheme of ['light', 'dark'] as const) {
  test(`every main view has no serious or critical accessibility violation (${scheme})`, async ({ page, strata }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(strata.url);
    await writeSession(strata);
    await strata.call('flush');
    for (const view of VIEWS) {
      await openView(page, view);
      if (view === 'query') {
        await page.getByLabel('Query text').fill('Door Dash job');
        await page.getByRole('button', { name: 'Search', exact: true }).click();
        await expect(page.getByTestId('query-hit').first()).toBeVisible();
      }
      const result = await new AxeBuilder({ page }).analyze();
      const bad = result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map(
          (v) =>
            `${v.id} (${v.impact}): ${v.nodes
              .map((n) => n.target.join(' '))
              .slice(0, 3)
              .join(' | ')}`,
        );
      expect(bad, `${view} in ${scheme}`).toEqual([]);
      await snapshot(page, `a11y-${view}-${scheme}`);
    }
  });
}
