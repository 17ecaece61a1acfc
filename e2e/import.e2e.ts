/**
 * Importing a chat export through the Ingest view (issue 14.5 and issue 17's Ingest bugs): a ChatGPT export ZIP
 * as downloaded, previewed before anything is written, imported once, then recognised as already stored; a file
 * picked after another is detected from its own content; Clear clears everything.
 */
import { join } from 'node:path';
import { expect, snapshot, test } from './fixtures';
import { openView } from './journeys';

const FIXTURES = join(import.meta.dirname, '..', 'test', 'fixtures', 'import');

test('imports a ChatGPT export ZIP with its preview; a second import writes nothing and says so', async ({
  page,
  strata,
}) => {
  await page.goto(strata.url);
  await openView(page, 'ingest');
  await page.getByTestId('import-file').setInputFiles(join(FIXTURES, 'chatgpt-export.zip'));
  const preview = page.getByTestId('import-preview');
  await expect(preview.getByTestId('preview-format')).toHaveText('ChatGPT export');
  await expect(preview.getByTestId('preview-counts')).toHaveText('2 sessions, 6 messages');
  await expect(preview.getByTestId('preview-user')).toContainText('You: User');
  await expect(preview.getByTestId('preview-new')).toHaveAttribute('data-new', '6');
  await expect(preview).toContainText('1 hidden message skipped');
  // The preview wrote nothing.
  expect(await strata.call('listSessions')).toEqual([]);
  await snapshot(page, 'ingest-preview');

  await page.getByRole('button', { name: 'Import' }).click();
  const job = page.getByTestId('import-job');
  await expect(job).toHaveCount(1);
  await expect(job).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await expect(job.getByTestId('progress-m0')).toHaveAttribute('data-done', '6');
  await expect(job).toContainText('2 sessions · 6 messages');
  const sessions = await strata.call('listSessions');
  expect(sessions.map((s) => s.id).sort()).toEqual(['chatgpt:c-lisbon', 'chatgpt:c-python']);

  // Once stored, the same export previews as nothing new, and importing it again writes nothing.
  await expect(preview.getByTestId('preview-new')).toHaveAttribute('data-duplicates', '6');
  await expect(preview).toContainText('Nothing new: all 6 messages are already stored.');
  await page.getByRole('button', { name: 'Import' }).click();
  await expect(job).toHaveCount(2);
  await expect(job.first()).toContainText('6 duplicates skipped');
  const messages = await Promise.all(sessions.map((s) => strata.call('listMessages', s.id)));
  expect(messages.flat()).toHaveLength(6);
});

test('a file picked after another is read by its own content; Clear clears everything', async ({ page, strata }) => {
  await page.goto(strata.url);
  await openView(page, 'ingest');
  await page.getByTestId('import-file').setInputFiles(join(FIXTURES, 'whatsapp', 'WhatsApp Chat with Ann.txt'));
  const preview = page.getByTestId('import-preview');
  await expect(preview.getByTestId('preview-format')).toHaveText('WhatsApp chat');
  await page.getByLabel('Format').selectOption('text');
  await expect(preview.getByTestId('preview-format')).toHaveText('Plain text (Speaker: line)');
  // The format chosen for the .txt file does not stick to the .json picked next.
  await page.getByTestId('import-file').setInputFiles(join(FIXTURES, 'telegram', 'result.json'));
  await expect(page.getByLabel('Format')).toHaveValue('');
  await expect(preview.getByTestId('preview-format')).toHaveText('Telegram export');
  await expect(preview.getByTestId('preview-user')).toContainText('You: Gus');

  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(page.getByTestId('picked-file')).toHaveCount(0);
  await expect(page.getByLabel('Format')).toHaveValue('');
  await expect(page.getByLabel('Content')).toHaveValue('');
  await expect(preview).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Import' })).toBeDisabled();
  expect(await strata.call('listSessions')).toEqual([]);
});
