/**
 * The main-thread side of one SQLite worker: sequence-numbered calls typed by
 * the role's method map, per-call timings, and restart after the thread dies.
 * After a restart the worker is re-opened and every pending call that can be
 * re-sent (its buffers were not transferred) is re-sent in order; the others
 * fail with WORKER_FAILED so their owner can replay them from the journal.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { StrataError } from '../../../shared/errors';
import type { IsolateMemory } from '../../../shared/types';
import { MEMORY_METHOD } from './memory';
import type { MethodsByRole, Params, Ready, Request, Response, Result, Role, WorkerInit } from './protocol';
import { nowMs } from './protocol';

export interface CallTiming {
  /** When the request was posted, and when the worker started and finished it (epoch ms). */
  sentAt: number;
  t0: number;
  t1: number;
  threadId: number;
}

interface Pending {
  req: Request;
  replayable: boolean;
  sentAt: number;
  resolve(value: { result: unknown; timing: CallTiming }): void;
  reject(err: StrataError): void;
}

const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

/**
 * Where the built worker lives. Workers are always run from JavaScript built by
 * `npm run build:workers` (out/workers), in tests, benchmarks, browser mode and the app alike.
 */
export function workerEntry(name: 'store' | 'embed' | 'import-parse' = 'store'): string {
  const file = `${name}.worker.mjs`;
  const override = process.env.STRATA_WORKER_DIR;
  if (override) return join(override, file);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'strata') {
      const entry = join(dir, 'out', 'workers', file);
      if (!existsSync(entry)) {
        throw new StrataError('WORKER_FAILED', `worker bundle missing at ${entry}; run "npm run build:workers"`);
      }
      return entry;
    }
    const up = dirname(dir);
    if (up === dir) throw new StrataError('WORKER_FAILED', 'cannot find the strata package root to locate workers');
    dir = up;
  }
}

/**
 * The Node flags a worker thread inherits, less any TypeScript loader (`--import tsx`, `--require tsx/cjs`, …): a
 * worker runs a built bundle, and a loader would make every thread pay for compiling its hooks (about a second of CPU
 * each at start-up when the engine is run through tsx, as `serve`, the CLI and the benchmarks are).
 */
export function bundleExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const loader = /^--(import|require|loader|experimental-loader)(=(.*))?$/.exec(a);
    if (!loader) {
      out.push(a);
      continue;
    }
    const value = loader[3] ?? argv[i + 1] ?? '';
    if (loader[3] === undefined) i++;
    if (/(^|[\\/])tsx([\\/]|$)/.test(value) || value === 'tsx') continue;
    out.push(a);
    if (loader[3] === undefined) out.push(value);
  }
  return out;
}

/**
 * Starts a worker thread without the parent's TypeScript loader when it has one (see bundleExecArgv). Only then is
 * `execArgv` given: an explicit list is checked by Node, which refuses flags a thread cannot take (`--prof`, V8
 * options), so if it refuses, the thread is started as before, inheriting the parent's flags.
 */
export function startWorker(entry: string | URL, options: WorkerOptions, parentArgv = process.execArgv): Worker {
  const argv = bundleExecArgv(parentArgv);
  if (argv.length === parentArgv.length) return new Worker(entry, options);
  try {
    return new Worker(entry, { ...options, execArgv: argv });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    return new Worker(entry, options);
  }
}

export class WorkerClient<R extends Role> {
  private worker!: Worker;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private closing = false;
  private dead: StrataError | null = null;
  private restartTimes: number[] = [];
  private lastCrash = '';
  threadId = 0;
  restarts = 0;

  constructor(
    readonly role: R,
    private readonly init: WorkerInit,
    private readonly entry: string,
    private readonly onRestart: (role: R) => void = () => {},
  ) {
    this.spawn();
  }

  private spawn(): void {
    const worker = startWorker(this.entry, { workerData: this.init, name: `strata-${this.role}` });
    this.worker = worker;
    worker.on('message', (msg: Response | Ready) => {
      if ('ready' in msg) {
        this.threadId = msg.threadId;
        return;
      }
      const p = this.pending.get(msg.seq);
      if (!p) return;
      this.pending.delete(msg.seq);
      const timing: CallTiming = { sentAt: p.sentAt, t0: msg.t0, t1: msg.t1, threadId: this.threadId };
      if (msg.ok) p.resolve({ result: msg.result, timing });
      else p.reject(StrataError.fromWire(msg.error, `${this.role}.${p.req.method}`));
    });
    worker.on('error', (err) => {
      // An uncaught error ends the thread; 'exit' follows and handles the restart. Keep the cause for its message.
      this.lastCrash = err instanceof Error ? err.message : String(err);
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      if (this.closing) {
        this.failAll(new StrataError('ENGINE_CLOSED', `${this.role} worker closed`));
        return;
      }
      this.handleDeath(code);
    });
  }

  private handleDeath(code: number): void {
    const now = Date.now();
    this.restartTimes = this.restartTimes.filter((t) => now - t < RESTART_WINDOW_MS);
    const cause = this.lastCrash ? `: ${this.lastCrash}` : '';
    this.lastCrash = '';
    const lost = new StrataError('WORKER_FAILED', `${this.role} worker exited with code ${code}${cause}`);
    if (this.restartTimes.length >= MAX_RESTARTS) {
      this.dead = new StrataError(
        'WORKER_FAILED',
        `${this.role} worker died ${MAX_RESTARTS} times within a minute; not restarting (last exit code ${code}${cause})`,
      );
      this.failAll(this.dead);
      return;
    }
    this.restartTimes.push(now);
    this.restarts++;
    const replay = [...this.pending.values()].sort((a, b) => a.req.seq - b.req.seq);
    for (const p of replay) {
      if (!p.replayable) {
        this.pending.delete(p.req.seq);
        p.reject(lost);
      }
    }
    this.spawn();
    // The new thread must open its files before anything else runs on it.
    this.post({ seq: ++this.seq, method: 'open', params: {} }, []);
    for (const p of replay) {
      if (p.replayable) {
        p.sentAt = nowMs();
        this.post(p.req, []);
      }
    }
    this.onRestart(this.role);
  }

  private failAll(err: StrataError): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private post(req: Request, transfer: ArrayBuffer[]): void {
    this.worker.postMessage(req, transfer);
  }

  /** The worker's own report of its heap and caches, named `isolate` (workers/memory.ts). */
  async memory(isolate: string = this.role): Promise<IsolateMemory> {
    const { result } = await this.call(MEMORY_METHOD as never, {} as never);
    return { ...(result as IsolateMemory), isolate };
  }

  call<K extends keyof MethodsByRole[R] & string>(
    method: K,
    params: Params<MethodsByRole[R], K>,
    transfer: ArrayBuffer[] = [],
  ): Promise<{ result: Result<MethodsByRole[R], K>; timing: CallTiming }> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.closing) return Promise.reject(new StrataError('ENGINE_CLOSED', `${this.role} worker is closed`));
    const req: Request = { seq: ++this.seq, method, params };
    return new Promise((resolve, reject) => {
      this.pending.set(req.seq, {
        req,
        replayable: transfer.length === 0,
        sentAt: nowMs(),
        resolve: resolve as Pending['resolve'],
        reject,
      });
      try {
        this.post(req, transfer);
      } catch (err) {
        // postMessage refuses what it cannot clone; the call never reached the worker.
        this.pending.delete(req.seq);
        reject(
          new StrataError(
            'INVALID_INPUT',
            `${this.role}.${method}: cannot send to the worker: ${(err as Error).message}`,
          ),
        );
      }
    });
  }

  /** Kills the thread as a crash would (used by fault tests). */
  async crash(): Promise<void> {
    await this.worker.terminate();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    if (!this.dead) {
      try {
        await this.call('close' as never, {} as never);
      } catch {
        // Closing a worker whose file never opened is not an error.
      }
    }
    this.closing = true;
    await this.worker.terminate();
  }
}
