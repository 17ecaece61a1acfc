/**
 * Keyboard-only journeys (issue 17 Tests), in light and dark: import a pasted conversation, search it from the
 * palette, open a fact, follow its provenance to the source message, go back, close; reach the graph's nodes and an
 * entity's facts. No mouse: every step is a key press, and wherever focus lands it is visible (:focus-visible with
 * an outline), never on the page body.
 */
import type { Locator, Page } from '@playwright/test';
import { expect, snapshot, test } from './fixtures';

const CONVERSATION = [
  'Gina: I lost my job at Door Dash this month, so I am opening my own clothing store.',
  'Jon: Sorry to hear about Door Dash. I lost my banking job too, and I am starting a dance studio.',
  'Gina: A dance studio sounds great. My store will sell trendy clothes.',
  'Jon: Dance has always been my passion, I won a competition last year.',
].join('\n');

interface Focused {
  body: boolean;
  visible: boolean;
  outline: string;
  tag: string;
  label: string;
}

// Runs in the page (e2e files compile without the DOM library, so the page-side code is a string).
const FOCUSED = `(() => {
  const el = document.activeElement;
  const label = el ? el.tagName + (el.dataset && el.dataset.testid ? '[' + el.dataset.testid + ']' : '') + ':' +
    (el.textContent || '').slice(0, 20) : 'none';
  if (!el || el === document.body) return { body: true, visible: false, outline: 'none', tag: 'BODY', label };
  const s = getComputedStyle(el);
  return { body: false, visible: el.matches(':focus-visible'), outline: s.outlineStyle + ' ' + s.outlineWidth,
    tag: el.tagName, label };
})()`;

/** The focused element shows a focus ring: it matches :focus-visible and draws an outline. */
async function expectVisibleFocus(page: Page): Promise<Focused> {
  const f = await page.evaluate<Focused>(FOCUSED);
  expect(f.body, 'focus on the page body').toBe(false);
  expect(f.visible, `${f.tag} focused without :focus-visible`).toBe(true);
  expect(f.outline, `${f.tag} has no focus outline`).not.toMatch(/^none|0px$/);
  return f;
}

/** Presses Tab (or Shift+Tab) until `target` has focus (at most `max` presses), checking the ring at every stop. */
async function tabTo(page: Page, target: Locator, max = 40, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<void> {
  const trail: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    trail.push((await page.evaluate<Focused>(FOCUSED)).label);
    await expectVisibleFocus(page).catch((e: Error) => {
      throw new Error(`${e.message}\nafter ${key} ×${i + 1}: ${trail.join(' → ')}`);
    });
    try {
      await expect(target).toBeFocused({ timeout: 50 });
      return;
    } catch {
      // not there yet
    }
  }
  throw new Error(`${key} did not reach ${target} in ${max} presses: ${trail.join(' → ')}`);
}

for (const scheme of ['light', 'dark'] as const) {
  test(`keyboard only: import, palette, a fact, its source message, back, and the graph's nodes (${scheme})`, async ({
    page,
    strata,
  }) => {
    test.setTimeout(240_000);
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(strata.url);
    await expect(page.getByTestId('nav-layers')).toBeVisible();

    // Import: Alt+5 is Ingest; paste the conversation into Content; Tab to Import and press Enter.
    await page.keyboard.press('Alt+Digit5');
    await expect(page.getByTestId('nav-ingest')).toHaveAttribute('aria-selected', 'true');
    await tabTo(page, page.getByLabel('Content'));
    await page.keyboard.insertText(CONVERSATION);
    await expect(page.getByTestId('import-preview')).toContainText('4');
    await tabTo(page, page.getByRole('button', { name: 'Import', exact: true }));
    await page.keyboard.press('Enter');
    const job = page.getByTestId('import-job');
    await expect(job).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
    await strata.call('flush');
    const facts = (await strata.call('list', { layer: 'm2', kind: 'fact', text: 'Door Dash', limit: 50 })).items;
    expect(facts.length).toBeGreaterThan(0);

    // Search from the palette; arrow down to a fact; Enter opens it.
    await page.keyboard.press('Control+k');
    await expect(page.getByTestId('palette')).toBeVisible();
    await page.keyboard.type('lost job Door Dash');
    // The refined list (the full query after typing pauses): it does not change under the arrow keys.
    await expect(page.locator('[data-testid="palette-memory"][data-source="query"]').first()).toBeVisible();
    const active = page.locator('#palette-list [role="option"][aria-selected="true"]');
    for (let i = 0; i < 20; i++) {
      if (((await active.getAttribute('data-id')) ?? '').startsWith('fact:')) break;
      await page.keyboard.press('ArrowDown');
    }
    const factId = (await active.getAttribute('data-id')) ?? '';
    expect(factId).toMatch(/^fact:/);
    await page.keyboard.press('Enter');
    const detail = page.getByTestId('item-detail');
    await expect(detail.getByTestId('detail-kind')).toHaveText('fact');
    await expect(detail).toContainText(factId);

    // Follow provenance to the source message, then back, all by keys.
    const source = detail.getByTestId('source-message').first();
    await tabTo(page, source, 60);
    const messageId = (await source.getAttribute('data-id')) ?? '';
    await page.keyboard.press('Enter');
    await expect(detail.getByTestId('detail-kind')).toHaveText('message');
    await expect(detail).toContainText(messageId);
    await expectVisibleFocus(page);
    await snapshot(page, `keyboard-source-message-${scheme}`);
    await page.keyboard.press('Backspace');
    await expect(detail.getByTestId('detail-kind')).toHaveText('fact');
    await expect(detail).toContainText(factId);
    await page.keyboard.press('Escape');
    await expect(detail).toHaveCount(0);
    await expect(page.locator('body')).not.toBeFocused();

    // The graph: its nodes are buttons in the side list, reached by Tab; Enter selects one and lists its facts,
    // and a fact opens from there.
    await page.keyboard.press('Alt+Digit2');
    await expect(page.getByTestId('nav-graph')).toHaveAttribute('aria-selected', 'true');
    const node = page.getByTestId('graph-node').first();
    await expect(node).toBeVisible();
    const name = (await node.textContent()) ?? '';
    // From the view's first field (Alt+2 leaves focus on the view itself), Tab walks the toolbar to the nodes.
    await page.getByLabel('Find an entity').focus();
    await tabTo(page, node, 60);
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('entity-facts').locator('h3')).toHaveText(name);
    const entityFact = page.getByTestId('entity-facts').getByRole('button').first();
    // Its facts arrive after its name (their own read): a person tabs to them once they show.
    await expect(entityFact).toBeVisible();
    // The selected entity's facts sit above the node list: back up to them.
    await tabTo(page, entityFact, 60, 'Shift+Tab');
    await page.keyboard.press('Enter');
    await expect(detail).toBeVisible();
    await expectVisibleFocus(page);
    await snapshot(page, `keyboard-graph-${scheme}`);
  });
}
