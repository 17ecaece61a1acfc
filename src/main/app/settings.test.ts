/**
 * The settings file and the "Test connection" request: defaults when missing, a typed error naming the field and
 * the defaults when bad, atomic owner-only writes, flags over the file; the LLM test against a real local HTTP
 * server standing in for the (external) endpoint: the request's shape, ok with the models, and each typed failure.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings, runOptions, SETTINGS_FILE, saveSettings, testLlm } from './settings';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'strata-settings-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the settings file', () => {
  it('is the defaults when missing: LLM off, theme system', () => {
    const { settings, problem } = loadSettings(temp());
    expect(problem).toBeNull();
    expect(settings.llm.enabled).toBe(false);
    expect(settings.theme).toBe('system');
    expect(settings.embedder).toBeUndefined();
  });

  it('a file that is not JSON gives SETTINGS_INVALID naming the file, and the defaults', () => {
    const dir = temp();
    writeFileSync(join(dir, SETTINGS_FILE), '{ "theme": ');
    const { settings, problem } = loadSettings(dir);
    expect(problem?.code).toBe('SETTINGS_INVALID');
    expect(problem?.message).toContain(SETTINGS_FILE);
    expect(settings.theme).toBe('system');
  });

  it('a wrong field gives SETTINGS_INVALID naming the field, and the defaults', () => {
    const dir = temp();
    writeFileSync(join(dir, SETTINGS_FILE), JSON.stringify({ theme: 'purple', llm: { enabled: true } }));
    const { settings, problem } = loadSettings(dir);
    expect(problem?.code).toBe('SETTINGS_INVALID');
    expect(problem?.details?.field).toBe('theme');
    expect(settings.theme).toBe('system');
  });

  it('saves a patch merged into what is there, owner-only, and reads it back', () => {
    const dir = temp();
    saveSettings(dir, { theme: 'dark', llm: { url: 'http://127.0.0.1:1/v1', model: 'm', apiKey: 'sk-secret' } });
    saveSettings(dir, { llm: { enabled: true } });
    const { settings, problem } = loadSettings(dir);
    expect(problem).toBeNull();
    expect(settings).toMatchObject({
      theme: 'dark',
      llm: { enabled: true, url: 'http://127.0.0.1:1/v1', model: 'm', apiKey: 'sk-secret' },
    });
    if (process.platform !== 'win32') expect(statSync(join(dir, SETTINGS_FILE)).mode & 0o777).toBe(0o600);
    // A bad file is replaced by the next save, not merged with.
    writeFileSync(join(dir, SETTINGS_FILE), 'nonsense');
    saveSettings(dir, { theme: 'light' });
    expect(JSON.parse(readFileSync(join(dir, SETTINGS_FILE), 'utf8')).theme).toBe('light');
  });

  it('a run takes the LLM endpoint from the file only when it is on, and flags over the file', () => {
    const dir = temp();
    const off = saveSettings(dir, { embedder: 'hashing', llm: { url: 'http://a/v1', model: 'x' } });
    expect(runOptions(dir, off)).toEqual({ embedder: 'hashing' });
    const on = saveSettings(dir, { llm: { enabled: true } });
    expect(runOptions(dir, on).llm).toEqual({ url: 'http://a/v1', model: 'x' });
    expect(runOptions(dir, on, { embedder: 'static', llmUrl: 'http://b/v1', llmModel: 'y' })).toEqual({
      embedder: 'static',
      llm: { url: 'http://b/v1', model: 'y' },
    });
    expect(() => runOptions(dir, on, { embedder: 'word2vec' })).toThrow(/--embedder: expected one of/);
  });
});

describe('Test connection', () => {
  let server: Server;
  let base: string;
  const seen: { method?: string; url?: string; auth?: string }[] = [];
  let reply: (req: IncomingMessage) => { status: number; body: string; delayMs?: number } = () => ({
    status: 200,
    body: '{}',
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization });
      const r = reply(req);
      setTimeout(() => {
        res.writeHead(r.status, { 'Content-Type': 'application/json' });
        res.end(r.body);
      }, r.delayMs ?? 0);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('asks GET <url>/models with the key as a bearer token and lists the models', async () => {
    reply = () => ({ status: 200, body: JSON.stringify({ object: 'list', data: [{ id: 'llama3' }, { id: 'qwen' }] }) });
    seen.length = 0;
    const r = await testLlm({ url: `${base}/`, model: 'qwen', apiKey: 'sk-1' });
    expect(r).toMatchObject({ ok: true, models: ['llama3', 'qwen'], modelFound: true });
    expect(seen).toEqual([{ method: 'GET', url: '/v1/models', auth: 'Bearer sk-1' }]);
    const missing = await testLlm({ url: base, model: 'mistral' });
    expect(missing).toMatchObject({ ok: true, modelFound: false });
    expect(seen[1]?.auth).toBeUndefined();
  });

  it('an answer that is not a model list is LLM_BAD_RESPONSE', async () => {
    reply = () => ({ status: 200, body: '<html>hello</html>' });
    expect(await testLlm({ url: base })).toMatchObject({ ok: false, code: 'LLM_BAD_RESPONSE' });
    reply = () => ({ status: 200, body: JSON.stringify({ choices: [] }) });
    expect(await testLlm({ url: base })).toMatchObject({ ok: false, code: 'LLM_BAD_RESPONSE' });
  });

  it('an error status, a refused connection and the timeout are LLM_UNREACHABLE', async () => {
    reply = () => ({ status: 401, body: '{"error":"no"}' });
    const denied = await testLlm({ url: base, apiKey: 'wrong' });
    expect(denied).toMatchObject({ ok: false, code: 'LLM_UNREACHABLE' });
    expect(denied.ok === false && denied.message).toContain('check the API key');
    reply = () => ({ status: 200, body: '{"data":[]}', delayMs: 3_000 });
    const slow = await testLlm({ url: base, timeoutMs: 200 });
    expect(slow).toMatchObject({ ok: false, code: 'LLM_UNREACHABLE' });
    expect(slow.ok === false && slow.message).toContain('no answer within 200 ms');
    // A port nobody listens on: take one, then close it.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    expect(await testLlm({ url: `http://127.0.0.1:${port}/v1` })).toMatchObject({
      ok: false,
      code: 'LLM_UNREACHABLE',
    });
  });

  it('a URL that is not http(s) is refused before any request', async () => {
    seen.length = 0;
    expect(await testLlm({ url: 'file:///etc/passwd' })).toMatchObject({ ok: false, code: 'INVALID_INPUT' });
    expect(await testLlm({ url: 'not a url' })).toMatchObject({ ok: false, code: 'INVALID_INPUT' });
    expect(seen).toHaveLength(0);
  });
});
