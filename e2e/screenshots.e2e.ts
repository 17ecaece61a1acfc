/**
 * The README's screenshots (`npm run screenshots`, also part of every e2e run): the app in browser mode at 1440×900,
 * light and dark, with LoCoMo conv-30's first two sessions written and their layers built. Saved to
 * docs/screenshots/: the Layers view with an entity's page open (`layers-entity-<scheme>.png`) and the palette
 * answering as you type (`palette-<scheme>.png`). Each shot is checked for what it must show before it is taken.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadLocomo } from '../test/support/locomo';
import { expect, test } from './fixtures';

const OUT = resolve(import.meta.dirname, '..', 'docs', 'screenshots');

for (const scheme of ['light', 'dark'] as const) {
  test(`README screenshots (${scheme}): Layers with an entity's page, and the palette`, async ({ page, strata }) => {
    mkdirSync(OUT, { recursive: true });
    const conv = loadLocomo().find((c) => c.sampleId === 'conv-30');
    for (const [i, s] of (conv?.sessions ?? []).slice(0, 2).entries()) {
      const id = `conv-30:session_${i + 1}`;
      await strata.call('createSession', { id, title: `conv-30 session ${i + 1}`, startedAt: s.startedAt });
      await strata.call('addMessages', id, s.messages);
    }
    await strata.call('flush');
    const entities = await strata.call('list', { layer: 'm2', kind: 'entity', limit: 200 });
    const hub = await Promise.all(
      entities.items.map(async (e) => ({ e, n: (await strata.call('entityFacts', e.id)).length })),
    );
    hub.sort((a, b) => b.n - a.n);
    const entity = hub[0]?.e;
    expect(entity, 'the layers built an entity with facts').toBeDefined();

    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(strata.url);
    await page.getByTestId('layer-tab-m2').click();
    await page.getByLabel('Kind').selectOption('entity');
    await page.getByLabel('Search text').fill(String(entity?.data?.name ?? entity?.text));
    await page.locator(`[data-testid="item-row"][data-id="${entity?.id}"]`).click();
    await expect(page.getByTestId('entity-hub')).toBeVisible();
    await expect(page.getByTestId('entity-facts-now')).toBeVisible();
    await page.screenshot({ path: join(OUT, `layers-entity-${scheme}.png`) });

    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+k');
    await page.keyboard.type('dance stud');
    await expect(page.getByTestId('palette-memory').first()).toBeVisible();
    await page.screenshot({ path: join(OUT, `palette-${scheme}.png`) });
  });
}
