/**
 * One browser-mode server per test: a fresh temporary data directory, the built server (`out/server/serve.mjs`,
 * from `npm run build`; plain Node, no TypeScript loader, so a start costs the engine's open and little else) on a free
 * port with the hashing embedder, the printed address parsed for its token; stopped (flush, close) and removed after.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test as base, type Page } from '@playwright/test';
import type { ApiResult, StrataApi } from '../src/shared/api';

const ROOT = resolve(import.meta.dirname, '..');
export const SCREENSHOTS = join(ROOT, 'e2e', '.output', 'screenshots');
const SERVER = join(ROOT, 'out', 'server', 'serve.mjs');

export interface Strata {
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  /** Calls the engine through the bridge, as the renderer does. */
  call<M extends keyof StrataApi>(
    method: M,
    ...args: Parameters<StrataApi[M]>
  ): Promise<Awaited<ReturnType<StrataApi[M]>>>;
}

async function startServer(
  dataDir: string,
  embedder: string,
  extra: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string }> {
  if (!existsSync(SERVER)) throw new Error(`no built server at ${SERVER}; run "npm run build" first`);
  const child = spawn(process.execPath, [SERVER, '--data-dir', dataDir, '--port', '0', ...extra], {
    cwd: ROOT,
    env: { ...process.env, STRATA_EMBEDDER: embedder, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 60 s:\n${out}`)), 60_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /Open (http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${out}`));
    });
  });
  return { child, url };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

export const test = base.extend<{
  strata: Strata;
  embedder: string;
  serveArgs: string[];
  /** Extra environment for the server (e.g. STRATA_ANN_MIN_ROWS, to build the vector index on a small memory). */
  serveEnv: Record<string, string>;
}>({
  embedder: ['hashing', { option: true }],
  serveArgs: [[], { option: true }],
  serveEnv: [{}, { option: true }],
  strata: async ({ embedder, serveArgs, serveEnv }, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strata-e2e-'));
    const { child, url } = await startServer(dataDir, embedder, serveArgs, serveEnv);
    const u = new URL(url);
    // The printed address carries the token in its fragment (never sent to the server); API calls send it as a header.
    const token = new URLSearchParams(u.hash.slice(1)).get('token') ?? '';
    const call = (async (method: string, ...args: unknown[]) => {
      const res = await fetch(`${u.origin}/api/${method}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(args),
      });
      const body = (await res.json()) as ApiResult<unknown>;
      if (!body.ok) throw new Error(`${method}: ${body.error.code} ${body.error.message}`);
      return body.value;
    }) as Strata['call'];
    try {
      await use({ url, origin: u.origin, token, dataDir, call });
    } finally {
      await stopServer(child);
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
});

export { expect } from '@playwright/test';

/**
 * Saves a full-page screenshot of a view as a test artifact: e2e/.output/screenshots/<project>/<name>.png
 * (project: browser or electron), attached to the test's report as well.
 */
export async function snapshot(page: Page, name: string): Promise<void> {
  const info = base.info();
  const dir = join(SCREENSHOTS, info.project.name || 'browser');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await info.attach(name, { path, contentType: 'image/png' });
}
