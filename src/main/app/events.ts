/**
 * Engine events for the window: every write trace as it is made, import progress, and the engine's status
 * (sent when it changes, checked once a second while anyone listens).
 */
import type { StrataEvent } from '../../shared/app-types';
import type { Engine } from '../engine/engine';

const STATUS_EVERY_MS = 1_000;

export class EngineEvents {
  private readonly listeners = new Set<(e: StrataEvent) => void>();
  private timer: NodeJS.Timeout | null = null;
  private lastStatus = '';

  constructor(private engine: Engine) {}

  /** The engine to report on from now (a re-embed reopens it). */
  use(engine: Engine): void {
    this.engine = engine;
    this.lastStatus = '';
  }

  emit(event: StrataEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // One listener's failure (a closed window, a dropped connection) must not stop the others.
      }
    }
  }

  subscribe(listener: (e: StrataEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      this.timer = setInterval(() => this.emitStatus(), STATUS_EVERY_MS);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Sends the status if it changed since the last one sent. */
  emitStatus(force = false): void {
    let status: ReturnType<Engine['status']>;
    try {
      status = this.engine.status();
    } catch {
      return;
    }
    if (!status.open) return;
    const queue = this.engine.queueStatus();
    const key = JSON.stringify([status, queue]);
    if (!force && key === this.lastStatus) return;
    this.lastStatus = key;
    this.emit({ type: 'status', status, queue });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
