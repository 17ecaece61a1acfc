import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import { StrataError } from '../../../shared/errors';
import { bundleExecArgv, startWorker, WorkerClient, workerEntry } from './client';
import type { StoreInit } from './protocol';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function client<R extends StoreInit['role']>(role: R): WorkerClient<R> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const c = new WorkerClient(
    role,
    { role, dataDir: t.dir, dim: 4, busyTimeoutMs: 100, maxTraces: 10, journalSync: 'NORMAL', embedderId: 'test' },
    workerEntry(),
  );
  cleanups.push(() => c.close());
  return c;
}

describe('worker flags', () => {
  it('drops a TypeScript loader in every spelling and keeps every other flag and its value', () => {
    expect(bundleExecArgv(['--import', 'tsx', '--max-old-space-size=4096', '--cpu-prof'])).toEqual([
      '--max-old-space-size=4096',
      '--cpu-prof',
    ]);
    expect(bundleExecArgv(['--import=tsx', '--require', '/p/node_modules/tsx/dist/cjs/index.cjs'])).toEqual([]);
    expect(bundleExecArgv(['--loader', 'file:///p/node_modules/tsx/dist/esm/index.mjs', '--trace-warnings'])).toEqual([
      '--trace-warnings',
    ]);
    expect(bundleExecArgv(['--import', './hooks.mjs', '--require=./tsx-free.cjs'])).toEqual([
      '--import',
      './hooks.mjs',
      '--require=./tsx-free.cjs',
    ]);
  });
});

describe('starting a thread', () => {
  it('starts a thread under a loader and a flag threads refuse (--prof): without the loader, else as before', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const entry = join(t.dir, 'argv.worker.mjs');
    writeFileSync(
      entry,
      "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage(process.execArgv);\n",
    );
    const argvOf = (parentArgv: string[]) =>
      new Promise<string[]>((resolve, reject) => {
        const w = startWorker(entry, {}, parentArgv);
        w.once('message', (m: string[]) => {
          resolve(m);
          void w.terminate();
        });
        w.once('error', reject);
      });
    // A loader alone: the thread gets the flags without it.
    expect(await argvOf(['--import', 'tsx', '--trace-warnings'])).toEqual(['--trace-warnings']);
    // With --prof beside it Node refuses the explicit list; the thread still starts, with the parent's own flags.
    expect(await argvOf(['--import', 'tsx', '--prof'])).toEqual(process.execArgv);
    // Nothing to drop: no list is given, the thread inherits.
    expect(await argvOf(['--prof'])).toEqual(process.execArgv);
  });
});

describe('worker protocol', () => {
  it('gives up on a worker that can never start, with the cause in the error, instead of looping', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const entry = join(t.dir, 'broken.worker.mjs');
    writeFileSync(entry, "throw new Error('was compiled against a different Node.js version');\n");
    const c = new WorkerClient(
      'core',
      {
        role: 'core',
        dataDir: t.dir,
        dim: 4,
        busyTimeoutMs: 100,
        maxTraces: 10,
        journalSync: 'NORMAL',
        embedderId: 'test',
      },
      entry,
    );
    cleanups.push(() => c.close());
    const err = await c.call('open', {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WORKER_FAILED' });
    expect((err as Error).message).toMatch(/not restarting .*different Node\.js version/);
    expect(c.restarts).toBe(5);
  });

  it('answers with worker-side timings and the thread that ran the call', async () => {
    const core = client('core');
    const { result, timing } = await core.call('open', {});
    expect(result).toEqual({ journalSeq: 0, dim: 4, embedder: 'test' });
    expect(timing.threadId).toBeGreaterThan(0);
    expect(timing.t1).toBeGreaterThanOrEqual(timing.t0);
    expect(timing.t0).toBeGreaterThanOrEqual(timing.sentAt - 5);
  });

  it('returns a method the role does not have as {code, message}, not as a thrown worker error', async () => {
    const store = client('graph');
    await store.call('open', {});
    const err = await (store.call as (m: string, p: unknown) => Promise<unknown>)('append', {}).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StrataError);
    expect(err).toMatchObject({ code: 'INTERNAL', message: 'graph.append: graph worker has no method "append"' });
  });

  it('refuses work before open', async () => {
    const store = client('keyword');
    await expect(store.call('checkpoint', {})).rejects.toMatchObject({ code: 'WORKER_FAILED' });
  });

  it('restarts a worker that dies, re-opens it and re-sends the calls that were pending', async () => {
    const core = client('core');
    await core.call('open', {});
    const pending = core.call('readOps', { afterSeq: 0, maxRows: 10 });
    await core.crash();
    await expect(pending).resolves.toMatchObject({ result: [] });
    expect(core.restarts).toBe(1);
    await expect(core.call('itemCounts', {})).resolves.toMatchObject({ result: { items: 0, nodes: 0 } });
  });

  it('fails a pending call whose buffers were transferred, so its owner can replay it from the journal', async () => {
    const vec = client('vector');
    await vec.call('open', {});
    const vectors = new Float32Array([1, 0, 0, 0]);
    const op = {
      kind: 'upsert' as const,
      seq: 1,
      prevSeq: 0,
      items: [{ rowid: 1, id: 'a', layer: 'm0' as const, kind: 'chunk', sessionId: null, text: 'a' }],
      vectors,
      nodes: [],
      links: [],
    };
    const pending = vec.call('apply', { op }, [vectors.buffer]);
    expect(vectors.byteLength).toBe(0); // transferred, not copied
    await vec.crash();
    const err = await pending.then(
      () => null,
      (e: unknown) => e,
    );
    // Either it finished before the crash, or it failed as WORKER_FAILED; never a silent loss.
    if (err !== null) expect(err).toMatchObject({ code: 'WORKER_FAILED' });
    expect(vec.restarts).toBe(1);
  });
});
