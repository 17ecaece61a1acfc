/**
 * The engine as the app runs it (Electron main or browser mode): the API, its events, import jobs, and a
 * shutdown that stops the background layers promptly (they resume on the next open) and closes the workers.
 */
import type { StrataApi } from '../../shared/api';
import type { StrataEvent } from '../../shared/app-types';
import { Engine, type EngineOptions } from '../engine/engine';
import { engineApi } from './api';
import { EngineEvents } from './events';
import { ImportJobs } from './import';

export class StrataApp {
  readonly api: StrataApi;
  private readonly events: EngineEvents;
  private closed = false;

  private constructor(readonly engine: Engine) {
    this.events = new EngineEvents(engine);
    const imports = new ImportJobs(engine, (job) => this.events.emit({ type: 'import', job }));
    engine.watch({
      trace: (trace) => this.events.emit({ type: 'trace', trace }),
      built: (sessionId, layer) => imports.onBuilt(sessionId, layer),
    });
    this.api = engineApi(engine, { imports });
  }

  static async open(options: EngineOptions): Promise<StrataApp> {
    return new StrataApp(await Engine.open(options));
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
    await this.engine.close();
  }
}
