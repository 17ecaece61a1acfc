/**
 * The engine as the app runs it (Electron main or browser mode): the API, its events, import jobs, the settings
 * (file, LLM test, export, backup, data folder) and switching the embedder (the engine is closed and reopened with
 * the new one, which re-embeds every item; calls made meanwhile wait for it), and a shutdown that stops the
 * background layers promptly (they resume on the next open) and closes the workers.
 */
import { STRATA_METHODS, type StrataApi, type StrataMethod } from '../../shared/api';
import type { StrataEvent } from '../../shared/app-types';
import { StrataError, toWireError } from '../../shared/errors';
import type { ReembedJob, SettingsEmbedder, SettingsView } from '../../shared/settings-schema';
import { SETTINGS_EMBEDDERS } from '../../shared/settings-schema';
import { Engine, type EngineOptions } from '../engine/engine';
import { type AppServices, engineApi } from './api';
import { EngineEvents } from './events';
import { ImportJobs } from './import';
import { loadSettings, type RunFlags, runOptions, SETTINGS_FILE, saveSettings, testLlm } from './settings';
import { backupToFolder, exportToFolder, reembedEstimateMs } from './settings-actions';

export interface AppOptions extends EngineOptions {
  /** `--embedder`, `--llm-*` of this run, over the settings file (explicit engine options above both). */
  flags?: RunFlags;
  /** The desktop app's `shell.openPath`; browser mode has none and answers the path instead. */
  openPath?: (path: string) => Promise<string>;
}

/** Methods the app answers itself, also while the engine is closed for a re-embed. */
const APP_METHODS = new Set<StrataMethod>(['settings', 'reembedStatus', 'cancelReembed', 'testLlm', 'startReembed']);

export class StrataApp {
  readonly api: StrataApi;
  private readonly events: EngineEvents;
  private engineNow: Engine | null = null;
  private bound: StrataApi | null = null;
  /** Resolves to the open engine; replaced while a re-embed reopens it. */
  private ready: Promise<Engine>;
  private readonly running = new Set<string>();
  private reembedJob: ReembedJob | null = null;
  private cancelRequested = false;
  private closed = false;

  private constructor(
    engine: Engine,
    private readonly opts: AppOptions,
    /** What the engine was opened with (the settings file's choices included), reused to reopen it. */
    private readonly engineOpts: EngineOptions,
  ) {
    this.events = new EngineEvents(engine);
    this.ready = Promise.resolve(engine);
    this.attach(engine);
    const api: Record<string, unknown> = {};
    for (const m of STRATA_METHODS) {
      api[m] = async (...args: unknown[]) => {
        // Engine methods wait while a re-embed reopens the engine; the app's own answer at once.
        if (!(APP_METHODS.has(m) && this.bound)) await this.ready;
        const use = this.bound;
        if (!use) throw new StrataError('ENGINE_CLOSED', 'the engine is not open');
        const ready = this.ready;
        try {
          return await (use[m] as (...a: unknown[]) => Promise<unknown>)(...args);
        } catch (err) {
          // A read that reached the engine just as a re-embed closed it (a view refreshing on the re-embed's
          // first event) is not the person's failure: it waits for the reopened engine and is asked again, once.
          if (
            !(err instanceof StrataError && err.code === 'ENGINE_CLOSED') ||
            this.ready === ready ||
            APP_METHODS.has(m)
          )
            throw err;
          await this.ready;
          const next = this.bound;
          if (!next) throw err;
          return (next[m] as (...a: unknown[]) => Promise<unknown>)(...args);
        }
      };
    }
    this.api = api as StrataApi;
  }

  static async open(options: AppOptions): Promise<StrataApp> {
    const { flags, openPath: _openPath, ...explicit } = options;
    const { settings } = loadSettings(options.dataDir);
    const engineOpts = { ...runOptions(options.dataDir, settings, flags, Boolean(options.reembed)), ...explicit };
    return new StrataApp(await Engine.open(engineOpts), options, engineOpts);
  }

  /** The open engine (null-safe callers use `engine()`); throws while a re-embed has it closed. */
  get engine(): Engine {
    if (!this.engineNow) throw new StrataError('REEMBEDDING', 'the memory is being re-embedded');
    return this.engineNow;
  }

  private attach(engine: Engine): void {
    this.engineNow = engine;
    this.events.use(engine);
    const imports = new ImportJobs(engine, (job) => {
      if (job.state === 'running') this.running.add(job.id);
      else this.running.delete(job.id);
      this.events.emit({ type: 'import', job });
    });
    engine.watch({
      trace: (trace) => this.events.emit({ type: 'trace', trace }),
      built: (sessionId, layer) => imports.onBuilt(sessionId, layer),
    });
    this.bound = engineApi(engine, this.services(imports));
    // The first page and the first keystroke should not pay for starting their readers.
    void engine.warmReaders().catch(() => undefined);
  }

  private services(imports: ImportJobs): AppServices {
    const dataDir = this.opts.dataDir;
    const engine = () => {
      if (!this.engineNow) throw new StrataError('REEMBEDDING', 'the memory is being re-embedded; try again after');
      return this.engineNow;
    };
    return {
      imports,
      settings: {
        view: () => this.settingsView(),
        save: async (patch) => {
          saveSettings(dataDir, patch);
          return this.settingsView();
        },
        testLlm: (input) => {
          const saved = loadSettings(dataDir).settings.llm.apiKey;
          return testLlm({ ...input, apiKey: input.apiKey ?? saved });
        },
        openDataFolder: async () => {
          if (!this.opts.openPath) return { opened: false, path: dataDir };
          const failure = await this.opts.openPath(dataDir);
          if (failure) throw new StrataError('INTERNAL', `could not open ${dataDir}: ${failure}`);
          return { opened: true, path: dataDir };
        },
        exportData: (input) =>
          exportToFolder(engine(), dataDir, input?.dir ?? loadSettings(dataDir).settings.exportDir),
        backupData: (input) => backupToFolder(dataDir, input?.dir ?? loadSettings(dataDir).settings.backupDir),
        reembedPlan: async ({ to }) => {
          const e = engine();
          const vectors = (await e.stats()).stores.vector.rows;
          return { from: e.embedder.id, to, vectors, estimateMs: reembedEstimateMs(to, vectors) };
        },
        startReembed: async ({ to }) => this.startReembed(to),
        reembedStatus: async () => this.reembedJob,
        cancelReembed: async () => {
          if (this.reembedJob?.state === 'running') {
            this.cancelRequested = true;
            this.reembedJob.state = 'cancelling';
            this.emitReembed();
          }
          return this.reembedJob;
        },
      },
    };
  }

  private async settingsView(): Promise<SettingsView> {
    const dataDir = this.opts.dataDir;
    const { settings, problem } = loadSettings(dataDir);
    const { apiKey, ...llm } = settings.llm;
    const e = this.engineNow;
    const job = this.reembedJob;
    const embedder = e
      ? {
          id: e.embedder.id,
          kind: e.status().embedder.kind,
          dim: e.embedder.dim,
          // Every journal item carries its vector: the index count answers in milliseconds, where stats counts
          // every store on the reader the background layers keep busy (11 s at 100,000 items).
          vectors: (await e.layerCounts()).reduce((n, r) => n + r.n, 0),
        }
      : { id: job?.from ?? '?', kind: job?.from ?? '?', dim: 0, vectors: job?.total ?? 0 };
    return {
      dataDir,
      file: `${dataDir}/${SETTINGS_FILE}`,
      settings: { ...settings, llm: { ...llm, apiKeySet: apiKey.length > 0 } },
      problem,
      embedder,
      embedders: SETTINGS_EMBEDDERS,
      canOpenFolder: Boolean(this.opts.openPath),
      reembed: job,
    };
  }

  private emitReembed(): void {
    if (this.reembedJob) this.events.emit({ type: 'reembed', job: { ...this.reembedJob } });
  }

  /**
   * Closes the engine and reopens it with `to`, which re-embeds every item (progress as events). Cancelled, it
   * goes back to the previous embedder at once: the new vectors were staged beside the old ones until the pass
   * commits, so nothing is re-embedded back. Failed, it reopens with the previous embedder; the store is never left
   * a mix.
   */
  private async startReembed(to: SettingsEmbedder): Promise<ReembedJob> {
    const engine = this.engineNow;
    if (!engine || this.reembedJob?.state === 'running' || this.reembedJob?.state === 'cancelling') {
      throw new StrataError('REEMBEDDING', 'a re-embed is already running');
    }
    if (this.running.size > 0) {
      throw new StrataError('INVALID_INPUT', 'to: an import is running; switch the embedder after it finishes', {
        field: 'to',
      });
    }
    const fromKind = engine.status().embedder.kind;
    if (fromKind === to)
      throw new StrataError('INVALID_INPUT', `to: the memory is already embedded with ${to}`, { field: 'to' });
    const total = (await engine.stats()).stores.vector.rows;
    const job: ReembedJob = {
      from: engine.embedder.id,
      to,
      state: 'running',
      done: 0,
      total,
      startedAt: Date.now(),
      finishedAt: null,
      error: null,
    };
    this.reembedJob = job;
    this.cancelRequested = false;
    this.emitReembed();
    const { reembed: _r, ...base } = this.engineOpts;
    const reopen = async (): Promise<Engine> => {
      this.engineNow = null;
      await engine.close();
      try {
        const next = await Engine.open({
          ...base,
          embedder: to,
          reembed: {
            onProgress: (done, all) => {
              job.done = done;
              job.total = all;
              this.emitReembed();
              if (this.cancelRequested) throw new StrataError('REEMBEDDING', 're-embed cancelled');
            },
          },
        });
        job.state = 'done';
        saveSettings(base.dataDir, { embedder: to });
        return next;
      } catch (err) {
        const cancelled = this.cancelRequested;
        const back = fromKind === 'custom' ? 'static' : fromKind;
        const progress = {
          onProgress: (done: number, all: number) => {
            job.done = done;
            job.total = all;
            this.emitReembed();
          },
        };
        // Cancelled before the commit, the new vectors were only staged: opening with the previous embedder drops
        // them (storage/reembed.ts), and nothing is re-embedded back.
        const previous = await Engine.open({ ...base, embedder: back, reembed: progress });
        job.state = cancelled ? 'cancelled' : 'failed';
        job.error = cancelled ? null : toWireError(err);
        return previous;
      }
    };
    this.ready = reopen().then(
      (next) => {
        job.finishedAt = Date.now();
        this.attach(next);
        this.emitReembed();
        return next;
      },
      (err: unknown) => {
        job.state = 'failed';
        job.error = toWireError(err);
        job.finishedAt = Date.now();
        this.emitReembed();
        throw err;
      },
    );
    this.ready.catch(() => undefined);
    return { ...job };
  }

  subscribe(listener: (e: StrataEvent) => void): () => void {
    const off = this.events.subscribe(listener);
    this.events.emitStatus(true);
    return off;
  }

  /** Stops the background layers at their next write, then closes the stores and workers. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.events.stop();
    const engine = await this.ready.catch(() => null);
    await engine?.close();
  }
}
