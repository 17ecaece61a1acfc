import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/fixtures';
import { callApi } from '../main/app/api';
import { StrataApp } from '../main/app/app';
import { type ApiResult, STRATA_METHODS, type StrataBridge } from '../shared/api';
import { ApiError, apiOver } from '../shared/envelope';
import { StrataError } from '../shared/errors';
import { preloadApi } from './expose';

let app: StrataApp;
let cleanup: () => void;
let bridge: StrataBridge;

// Electron's path, without Electron: ipcRenderer.invoke reaches the real dispatcher over a structured clone (what
// IPC does to arguments and answers), and contextBridge's copy of the preload's answer is another structured clone.
const ipc = {
  invoke: async (channel: string, ...args: unknown[]) => {
    const method = channel.replace(/^strata:/, '');
    return structuredClone(await callApi(app.api, method, structuredClone(args)));
  },
  on: () => undefined,
  removeListener: () => undefined,
};

beforeAll(async () => {
  const t = tempDir('strata-envelope-');
  cleanup = t.cleanup;
  app = await StrataApp.open({ dataDir: t.dir, embedder: 'hashing', embedWorkers: 1, layers: false });
  const exposed = preloadApi(ipc, STRATA_METHODS);
  bridge = Object.fromEntries(
    Object.entries(exposed).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => structuredClone(await (fn as (...a: unknown[]) => Promise<unknown>)(...args)),
    ]),
  ) as unknown as StrataBridge;
});

afterAll(async () => {
  await app?.close();
  cleanup?.();
});

/** The renderer's IPC client: the same unwrap the HTTP client uses. */
const renderer = () =>
  apiOver(
    (m, args) =>
      (bridge as unknown as Record<string, (...a: unknown[]) => Promise<ApiResult<unknown>>>)[m]?.(...args) as Promise<
        ApiResult<unknown>
      >,
  );

async function failure(run: () => Promise<unknown>): Promise<ApiError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** The modules a file loads at run time, transitively (type-only imports are erased and do not count). */
function runtimeImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const [, spec = ''] of text.matchAll(/^import (?!type )[^'"]*?from ['"]([^'"]+)['"]/gm)) {
    if (!spec.startsWith('.')) {
      seen.add(spec);
      continue;
    }
    const base = resolve(dirname(file), spec);
    const found = [`${base}.ts`, `${base}.tsx`, resolve(base, 'index.ts')].find((c) =>
      statSync(c, { throwIfNoEntry: false })?.isFile(),
    );
    if (found) runtimeImports(found, seen);
  }
  return seen;
}

describe('the error envelope through the preload', () => {
  it('the sandboxed preload loads nothing but electron and the channel names (no API schemas, no zod)', () => {
    const loaded = [...runtimeImports(resolve(import.meta.dirname, 'index.ts'))].map((f) =>
      f.startsWith('/') ? f.slice(resolve(import.meta.dirname, '..', '..').length + 1) : f,
    );
    expect(loaded.sort()).toEqual([
      'electron',
      'src/preload/expose.ts',
      'src/preload/index.ts',
      'src/shared/channels.ts',
    ]);
  });

  it('exposes every method of the API table and subscribe, nothing else', () => {
    expect(Object.keys(preloadApi(ipc, STRATA_METHODS)).sort()).toEqual([...STRATA_METHODS, 'subscribe'].sort());
  });

  it('answers the ApiResult unchanged: a StrataError keeps code, message and details across the bridge', async () => {
    const res = await bridge.get('no-such-item');
    expect(res).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'id: no item or message "no-such-item"', details: { field: 'id' } },
    });
    const err = await failure(() => renderer().get('no-such-item'));
    expect(err).toMatchObject({ code: 'NOT_FOUND', details: { field: 'id' } });
    expect(err.message).toBe('id: no item or message "no-such-item"');
  });

  it('gets an input error back in the renderer with its code and the field it names', async () => {
    const api = renderer();
    await api.createSession({ id: 's1' });
    const err = await failure(() => api.addMessages('s1', [{ text: 'fine' }, { text: '   ' }]));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toBe('messages[1].text: must not be empty');
    expect(err.details).toEqual({ field: 'messages[1].text' });
    expect(await api.listMessages('s1')).toEqual([]);
  });

  it('delivers values, and optional arguments left out, the same way', async () => {
    const api = renderer();
    const { messageIds } = await api.addMessages('s1', [{ id: 'm1', text: 'The harbour opens at dawn.' }]);
    expect(messageIds).toEqual(['m1']);
    expect((await api.listTraces()).length).toBeGreaterThan(0);
    expect((await api.get('m1')).messages.map((m) => m.id)).toEqual(['m1']);
  });

  it('is needed: an Error with a code, cloned as contextBridge copies it, arrives without its code', () => {
    const thrown = new StrataError('NOT_FOUND', 'gone', { field: 'id' });
    const copied = structuredClone(thrown) as unknown as Record<string, unknown>;
    expect(copied.code).toBeUndefined();
    expect(copied.details).toBeUndefined();
  });
});
