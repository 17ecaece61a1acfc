/**
 * Search as you type: turns what has been typed so far into a bounded prefix match (every finished word, the last
 * one as the start of a word), entity names starting with it and conversation titles containing it, and runs it on
 * the suggest reader (storage/suggest-reads.ts). Only the newest call waits its turn: one still waiting when another
 * arrives answers `superseded` without reading anything, so a burst of keystrokes costs one read, not one per key.
 */
import type { SuggestHit, SuggestInput, SuggestResult } from '../../../shared/api-suggest';
import { suggestInputSchema } from '../../../shared/api-suggest';
import { parseInput } from '../../../shared/schema';
import type { StorageManager } from '../storage/manager';
import { normalizeKey, STOP_WORDS, words } from '../text';

const DEFAULT_LIMIT = 8;
/**
 * A last word shorter than this is not used as a prefix: "gr" starts hundreds of words, and FTS5 merges every one's
 * list of rows before it can return the first (0.7 s at 100,000 items on a loaded machine); "gro" is a few.
 */
const MIN_PREFIX = 3;
const MAX_WORDS = 8;

export interface SuggestPlan {
  /** FTS5 expressions, tried in order: the last word as a whole word first (cheap), then as a word's start. */
  matches: string[];
  /** Finished words, as used in the match. */
  words: string[];
  prefix: string | null;
}

const quote = (w: string) => `"${w.replace(/"/g, '""')}"`;

/**
 * The FTS5 expressions for typed text: finished words AND-ed (stop words dropped unless nothing else is left), and
 * the last word, unless the text ends with a space or a mark, first as a whole word (a whole word is read lazily, a
 * prefix makes FTS5 merge the lists of every word it starts), then as a prefix. User text never reaches FTS5's syntax:
 * each word is quoted.
 */
export function suggestPlan(text: string): SuggestPlan {
  const all = words(text);
  const open = all.length > 0 && !/[\s\p{P}]$/u.test(text);
  const last = open ? (all.pop() as string) : null;
  let done = [...new Set(all)];
  const content = done.filter((w) => !STOP_WORDS.has(w));
  if (content.length > 0 || last) done = content;
  done = done.slice(0, MAX_WORDS);
  const prefix = last && last.length >= MIN_PREFIX ? last : null;
  const base = done.map(quote);
  const matches: string[] = [];
  if (last && (!STOP_WORDS.has(last) || base.length === 0)) matches.push([...base, quote(last)].join(' '));
  if (prefix) matches.push([...base, `${quote(prefix)}*`].join(' '));
  if (!last && base.length > 0) matches.push(base.join(' '));
  return { matches: [...new Set(matches)], words: done, prefix };
}

export class Suggester {
  private running: Promise<unknown> = Promise.resolve();
  private latest = 0;

  constructor(private readonly storage: StorageManager) {}

  async suggest(input: SuggestInput): Promise<SuggestResult> {
    const t0 = performance.now();
    const { text, limit = DEFAULT_LIMIT } = parseInput(suggestInputSchema, input, 'input');
    const ticket = ++this.latest;
    // One read at a time; whoever is still waiting when a newer call comes gives up its turn.
    const turn = this.running.then(() => undefined);
    const done = turn.then(async (): Promise<SuggestResult> => {
      if (ticket !== this.latest) return empty(text, true, t0);
      return this.read(text, limit, t0);
    });
    this.running = done.catch(() => undefined);
    return done;
  }

  private async read(text: string, limit: number, t0: number): Promise<SuggestResult> {
    const trimmed = text.trim();
    if (trimmed.length === 0) return empty(text, false, t0);
    const plan = suggestPlan(text);
    const key = normalizeKey(trimmed);
    const r = await this.storage.readOwn('suggest', 'suggest', {
      matches: plan.matches,
      prefix: plan.prefix,
      entityPrefix: key ? `entity:${key}` : null,
      title: trimmed,
      limit,
    });
    // Every finished word is in every hit (the match ANDs them, stemmed as FTS5 stems them).
    const hits: SuggestHit[] = r.hits.map((h) => ({ ...h, matched: plan.words, prefix: plan.prefix }));
    return {
      text,
      hits,
      entities: r.entities,
      sessions: r.sessions,
      superseded: false,
      tookMs: performance.now() - t0,
    };
  }
}

function empty(text: string, superseded: boolean, t0: number): SuggestResult {
  return { text, hits: [], entities: [], sessions: [], superseded, tookMs: performance.now() - t0 };
}
