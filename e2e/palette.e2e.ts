/**
 * Search as you type (issue 17's palette goal): each keystroke is answered by the cheap `suggest` (a keyword prefix
 * match and entity names, no embedding), shown while the full hybrid query is still out, which then refines the
 * list; an entity's name typed in part finds the entity. Light and dark, with axe on the open palette.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, snapshot, test } from './fixtures';
import { writeSession } from './journeys';

for (const scheme of ['light', 'dark'] as const) {
  test(`${scheme}: the palette answers from a prefix match at once, then the full query refines it`, async ({
    page,
    strata,
  }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(strata.url);
    await writeSession(strata);
    // Through the bridge (the first keystroke) or the suggest reader's own endpoint it names (the later ones).
    const suggested: string[] = [];
    let direct = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/api/suggest')) suggested.push(String(JSON.parse(r.postData() ?? '[{}]')[0]?.text));
      else if (r.url().endsWith('/suggest')) {
        direct++;
        suggested.push(String(JSON.parse(r.postData() ?? '{}').input?.text));
      }
    });
    // Hold the full query back: what shows meanwhile can only be the suggest's answer.
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    await page.route('**/api/query', async (route) => {
      await held;
      await route.continue();
    });

    // Opening the palette learns the suggest reader's own endpoint (an empty suggest through the bridge).
    const learnt = page.waitForResponse((r) => r.url().endsWith('/api/suggest'));
    await page.keyboard.press('Control+k');
    expect((await (await learnt).json()).value.direct.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/suggest$/);
    await page.keyboard.type('Door Das');
    const quick = page.locator('[data-testid="palette-memory"][data-source="suggest"]').first();
    await expect(quick).toBeVisible();
    await expect(quick).toContainText(/door ?dash/i);
    await expect(quick.getByTestId('palette-why')).toContainText('keyword: door das…');
    // The last suggest asked for exactly what is in the box (earlier keys were coalesced or superseded).
    expect(suggested.at(-1)).toBe('Door Das');
    // The keystrokes went straight to the suggest reader, not through the server's main thread.
    expect(direct).toBeGreaterThan(0);
    expect(suggested.slice(1).every((t) => t !== '')).toBe(true);
    await expect(page.locator('[data-testid="palette-memory"][data-source="query"]')).toHaveCount(0);
    const axe = await new AxeBuilder({ page }).include('[data-testid="palette"]').analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await snapshot(page, `palette-suggest-${scheme}`);

    release();
    const refined = page.locator('[data-testid="palette-memory"][data-source="query"]').first();
    await expect(refined).toBeVisible();
    await expect(refined.getByTestId('palette-why')).toContainText(/keyword|near in meaning/);
    await expect(page.locator('[data-testid="palette-memory"][data-source="suggest"]')).toHaveCount(0);
  });
}

test('an entity is found by the start of its name and opens its page', async ({ page, strata }) => {
  await page.goto(strata.url);
  await writeSession(strata);
  await strata.call('flush');
  const page0 = await strata.call('list', { layer: 'm2', kind: 'entity', limit: 50 });
  const entity = page0.items.find((e) => String(e.data?.name ?? e.text).length >= 4);
  expect(entity, 'M2 extracted an entity from conv-30 session 1').toBeDefined();
  const name = String(entity?.data?.name ?? entity?.text);
  await page.keyboard.press('Control+k');
  await page.keyboard.type(name.slice(0, 4));
  const hit = page.locator(`[data-testid="palette-entity"][data-id="${entity?.id}"]`);
  await expect(hit).toBeVisible();
  await expect(hit.getByTestId('palette-why')).toContainText(`name starts with “${name.slice(0, 4)}”`);
  await hit.click();
  await expect(page.getByTestId('palette')).toHaveCount(0);
  await expect(page.getByTestId('item-detail')).toContainText(name);
});

test('a suggest refuses bad input with a typed error naming the field', async ({ strata }) => {
  const res = await fetch(`${strata.origin}/api/suggest`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${strata.token}` },
    body: JSON.stringify([{ text: 'x'.repeat(201) }]),
  });
  const body = (await res.json()) as { ok: boolean; error?: { code: string; message: string } };
  expect(body.ok).toBe(false);
  expect(body.error?.code).toBe('INVALID_INPUT');
  expect(body.error?.message).toMatch(/^input\.text:/);
});
