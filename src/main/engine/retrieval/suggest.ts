/**
 * Search as you type: turns what has been typed so far into a bounded prefix match (every finished word, the last
 * one as the start of a word), entity names starting with it and conversation titles containing it
 * (storage/suggest-plan.ts), and runs it on the suggest reader (storage/suggest-reads.ts). Only the newest call
 * waits its turn: one still waiting when another arrives answers `superseded` without reading anything, so a burst
 * of keystrokes costs one read, not one per key. A caller that can reach loopback HTTP (browser mode) may ask for
 * the reader's own endpoint (`direct`), which answers later keystrokes without this thread (storage/suggest-http.ts).
 */
import { randomBytes } from 'node:crypto';
import type { SuggestInput, SuggestResult } from '../../../shared/api-suggest';
import { suggestInputSchema } from '../../../shared/api-suggest';
import { parseInput } from '../../../shared/schema';
import type { StorageManager } from '../storage/manager';
import { suggestHits } from '../storage/suggest-http';
import { DEFAULT_LIMIT, suggestParams } from '../storage/suggest-plan';

export { type SuggestPlan, suggestPlan } from '../storage/suggest-plan';

export class Suggester {
  private running: Promise<unknown> = Promise.resolve();
  private latest = 0;
  private direct: Promise<{ url: string; key: string } | null> | null = null;

  constructor(private readonly storage: StorageManager) {}

  async suggest(input: SuggestInput): Promise<SuggestResult> {
    const t0 = performance.now();
    const { text, limit = DEFAULT_LIMIT, direct = false } = parseInput(suggestInputSchema, input, 'input');
    const ticket = ++this.latest;
    // One read at a time; whoever is still waiting when a newer call comes gives up its turn.
    const turn = this.running.then(() => undefined);
    const done = turn.then(async (): Promise<SuggestResult> => {
      if (ticket !== this.latest) return empty(text, true, t0);
      return this.read(text, limit, t0);
    });
    this.running = done.catch(() => undefined);
    if (!direct) return done;
    const [r, endpoint] = await Promise.all([done, this.endpoint()]);
    return endpoint ? { ...r, direct: endpoint } : r;
  }

  /** The reader's own endpoint, started on first request; null if it could not listen (the bridge then answers). */
  private endpoint(): Promise<{ url: string; key: string } | null> {
    this.direct ??= (async () => {
      const key = randomBytes(32).toString('hex');
      try {
        const { port } = await this.storage.readOwn('suggest', 'suggestServe', { key });
        return { url: `http://127.0.0.1:${port}/suggest`, key };
      } catch {
        this.direct = null;
        return null;
      }
    })();
    return this.direct;
  }

  private async read(text: string, limit: number, t0: number): Promise<SuggestResult> {
    const params = suggestParams(text, limit);
    if (!params) return empty(text, false, t0);
    const { matched, ...read } = params;
    const r = await this.storage.readOwn('suggest', 'suggest', read);
    return { text, ...suggestHits(r, matched, params.prefix), superseded: false, tookMs: performance.now() - t0 };
  }
}

function empty(text: string, superseded: boolean, t0: number): SuggestResult {
  return { text, hits: [], entities: [], sessions: [], superseded, tookMs: performance.now() - t0 };
}
