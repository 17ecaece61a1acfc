import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, it } from 'vitest';
import { Engine } from '../main/engine/engine';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'src', 'cli', 'bin.mjs');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'import');
const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'strata-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs the real CLI as a child process. */
function strata(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, timeout: 240_000, env: { ...process.env, STRATA_EMBEDDER: 'hashing' } },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Entity ids and names in a data folder, read by opening it (the CLI must not be running). */
async function peekNames(dataDir: string): Promise<Record<string, string>> {
  const engine = await Engine.open({ dataDir, embedder: 'hashing' });
  try {
    return Object.fromEntries((await engine.itemsOfKind('entity')).map((e) => [e.id, String(e.data?.name)]));
  } finally {
    await engine.close();
  }
}

// Each run starts a process that transpiles the CLI and opens the engine: seconds apiece on a loaded machine. The
// tests share nothing (each its own data folder), so they run at once: child processes keep both cores busy.
describe.concurrent('strata CLI', { timeout: 600_000 }, () => {
  it('--help on every command, exit 0; a usage error exits 2', async ({ expect }) => {
    const cmds = ['import', 'query', 'stats', 'export', 'backup', 'restore', 'reembed', 'serve', 'mcp'];
    const helps = await Promise.all(cmds.map((cmd) => strata([cmd, '--help'])));
    cmds.forEach((cmd, i) => {
      expect(helps[i]?.code).toBe(0);
      expect(helps[i]?.stdout).toMatch(new RegExp(`Usage: strata ${cmd}`));
    });
    const bad = await strata(['import', '--no-such-flag', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown option/);
  });

  it('imports an export ZIP, says a second import has nothing new, answers queries and stats', async ({ expect }) => {
    const data = temp();
    const zip = join(FIXTURES, 'chatgpt-export.zip');
    const first = await strata(['--data-dir', data, '--json', 'import', zip]);
    expect(first.code).toBe(0);
    const r = JSON.parse(first.stdout);
    expect(r.preview).toMatchObject({ format: 'chatgpt', newMessages: 6, duplicates: 0, user: 'User' });
    expect(r.job).toMatchObject({ state: 'done', messages: 6, sessions: 2 });
    expect(r.job.progress.m2).toEqual({ done: 2, total: 2 });

    const again = await strata(['--data-dir', data, 'import', zip]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Nothing new to import/);
    expect(again.stderr).toMatch(/already stored \(skipped\): 6 messages/);

    const q = await strata(['--data-dir', data, '--json', 'query', 'moving to Lisbon', '--k', '3', '--layers', 'm0']);
    expect(q.code).toBe(0);
    expect(JSON.parse(q.stdout).hits[0].text).toMatch(/Lisbon/);
    const s = await strata(['--data-dir', data, '--json', 'stats']);
    const stats = JSON.parse(s.stdout);
    expect(stats.stores.core.rows).toBeGreaterThan(0);
    expect(stats.stores.keyword.rows).toBe(stats.stores.core.rows);

    const dry = await strata([
      '--data-dir',
      temp(),
      '--json',
      'import',
      '--dry-run',
      join(FIXTURES, 'telegram', 'result.json'),
    ]);
    expect(JSON.parse(dry.stdout).preview).toMatchObject({ format: 'telegram', newMessages: 4, user: 'Gus' });
  });

  it('errors as {code, message} on stderr with an exit code per kind; nothing written', async ({ expect }) => {
    const data = temp();
    const corrupt = await strata(['--data-dir', data, '--json', 'import', join(FIXTURES, 'corrupt.zip')]);
    expect(corrupt.code).toBe(3);
    expect(corrupt.stdout).toBe('');
    expect(JSON.parse(corrupt.stderr)).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/^corrupt\.zip: not a readable ZIP/),
    });
    const missing = await strata(['--data-dir', data, '--json', 'import', join(FIXTURES, 'nope.json')]);
    expect(missing.code).toBe(4);
    expect(JSON.parse(missing.stderr).code).toBe('NOT_FOUND');
    const s = JSON.parse((await strata(['--data-dir', data, '--json', 'stats'])).stdout);
    expect(s.stores.core.rows).toBe(0);
  });

  it('export → import round trip, and backup → restore, through the CLI', async ({ expect }) => {
    const data = temp();
    expect(
      (
        await strata([
          '--data-dir',
          data,
          'import',
          '--no-layers',
          join(FIXTURES, 'whatsapp', 'WhatsApp Chat with Ann.txt'),
        ])
      ).code,
    ).toBe(0);
    const file = join(temp(), 'memory.jsonl');
    const ex = await strata(['--data-dir', data, '--json', 'export', '--out', file]);
    expect(ex.code).toBe(0);
    expect(JSON.parse(ex.stdout).counts).toMatchObject({ sessions: 1, messages: 4 });
    const toStdout = await strata(['--data-dir', data, 'export', '--out', '-']);
    expect(toStdout.stdout.split('\n')[0]).toMatch(/^\{"type":"strata-export"/);
    expect(toStdout.stdout).toBe(
      readFileSync(file, 'utf8').replace(/"exportedAt":\d+/, toStdout.stdout.match(/"exportedAt":\d+/)?.[0] ?? ''),
    );
    const md = await strata(['--data-dir', data, 'export', '--format', 'markdown', '--out', '-']);
    expect(md.stdout).toMatch(/## WhatsApp: Ann/);

    const copy = temp();
    const im = await strata(['--data-dir', copy, '--json', 'import', file]);
    expect(im.code).toBe(0);
    expect(JSON.parse(im.stdout)).toMatchObject({ format: 'strata', sessions: 1, messages: 4 });

    const backup = join(temp(), 'strata.backup');
    const b = await strata(['--data-dir', data, '--json', 'backup', '--out', backup]);
    expect(b.code).toBe(0);
    const restored = join(temp(), 'restored');
    expect((await strata(['--data-dir', restored, 'restore', backup])).code).toBe(0);
    const a = JSON.parse((await strata(['--data-dir', data, '--json', 'stats'])).stdout);
    const c = JSON.parse((await strata(['--data-dir', restored, '--json', 'stats'])).stdout);
    expect(c.layers).toEqual(a.layers);
    expect(c.stores).toEqual(a.stores);
    const again = await strata(['--data-dir', restored, '--json', 'restore', backup]);
    expect(again.code).toBe(3);
    expect(JSON.parse(again.stderr).message).toMatch(/not empty/);
    const junk = join(temp(), 'junk.backup');
    writeFileSync(junk, 'not a zip');
    const j = await strata(['--data-dir', join(temp(), 'x'), '--json', 'restore', junk]);
    expect(j.code).toBe(6);
    expect(JSON.parse(j.stderr).code).toBe('STORE_CORRUPT');
  });

  it('forget: the dry run lists what the real run removes', async ({ expect }) => {
    const data = temp();
    expect(
      (await strata(['--data-dir', data, 'import', '--no-layers', join(FIXTURES, 'telegram', 'result.json')])).code,
    ).toBe(0);
    const dry = await strata(['--data-dir', data, '--json', 'forget', '--session', 'telegram:222', '--dry-run']);
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout);
    expect(plan).toMatchObject({ dryRun: true, counts: { sessions: 1, messages: 3 } });
    const real = await strata([
      '--data-dir',
      data,
      '--json',
      'forget',
      '--session',
      'telegram:222',
      '--reason',
      'test',
    ]);
    expect(real.code).toBe(0);
    expect(JSON.parse(real.stdout).counts).toEqual(plan.counts);
    const sessions = JSON.parse((await strata(['--data-dir', data, '--json', 'stats'])).stdout);
    // One chunk left, the other chat's, in the journal.
    expect(sessions.stores.core.rows).toBe(1);
    const none = await strata(['--data-dir', data, '--json', 'forget']);
    expect(none.code).toBe(3);
  });

  it('entity merge, rename and undo: audited, undone by the entry they print', async ({ expect }) => {
    const data = temp();
    expect((await strata(['--data-dir', data, 'import', join(FIXTURES, 'chatgpt-export.zip')])).code).toBe(0);
    const entities = Object.keys(await peekNames(data));
    expect(entities.length).toBeGreaterThanOrEqual(2);
    const [keep, gone] = entities as [string, string];
    const goneName = String((await peekNames(data))[gone]);
    const merged = await strata(['--data-dir', data, '--json', 'entity', 'merge', keep, gone, '--reason', 'same']);
    expect(merged.code).toBe(0);
    const m = JSON.parse(merged.stdout);
    expect(m).toMatchObject({ entityId: keep });
    const renamed = await strata(['--data-dir', data, 'entity', 'rename', keep, 'Someone Else']);
    expect(renamed.code).toBe(0);
    expect(renamed.stdout).toMatch(/Renamed .* audit entry \d+: undo with "strata entity undo \d+"/);
    const undo = await strata(['--data-dir', data, '--json', 'entity', 'undo', String(m.auditId)]);
    expect(undo.code).toBe(0);
    expect(JSON.parse(undo.stdout)).toMatchObject({ entityId: gone });
    const again = await strata(['--data-dir', data, '--json', 'entity', 'undo', String(m.auditId)]);
    expect(again.code).toBe(3);
    expect(JSON.parse(again.stderr)).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'auditId' } });
    const missing = await strata(['--data-dir', data, '--json', 'entity', 'rename', 'entity:nobody', 'X']);
    expect(JSON.parse(missing.stderr)).toMatchObject({ code: 'NOT_FOUND' });
    const after = await Engine.open({ dataDir: data, embedder: 'hashing' });
    const log = await after.auditLog();
    const kept = (await after.itemsById([keep]))[0];
    await after.close();
    expect(log.map((e) => e.action)).toEqual(['undo', 'rename', 'merge']);
    expect(log.every((e) => e.actor === 'cli')).toBe(true);
    // Undoing the merge keeps the later rename and takes back only the merged entity's names.
    expect(kept?.data?.name).toBe('Someone Else');
    expect(kept?.data?.aliases).not.toContain(goneName);
    expect(kept?.data?.aliases).toContain('User');
    expect((await strata(['entity', 'merge', '--help'])).stdout).toMatch(/Usage: strata entity merge/);
  });
});

describe('strata mcp', { timeout: 600_000 }, () => {
  it('serves the same data directory to an MCP client over stdio: what the CLI imported, the client finds', async ({
    expect,
  }) => {
    const data = temp();
    expect((await strata(['--data-dir', data, 'import', join(FIXTURES, 'chatgpt-export.zip')])).code).toBe(0);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, '--data-dir', data, 'mcp'],
      cwd: ROOT,
      env: { ...process.env, STRATA_EMBEDDER: 'hashing' } as Record<string, string>,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'strata-cli-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name);
      expect(tools).toEqual(expect.arrayContaining(['memory_search', 'memory_add', 'memory_forget', 'memory_stats']));
      const stats = await client.callTool({ name: 'memory_stats', arguments: {} });
      const counts = JSON.stringify(stats.structuredContent);
      expect(counts).toMatch(/"messages":6/);
    } finally {
      await client.close();
    }
  });
});
