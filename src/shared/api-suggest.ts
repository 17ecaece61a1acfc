/**
 * Search as you type (the palette's first answer): the input it takes and what it answers. A suggest is cheap and
 * bounded (a keyword prefix match, entity names, conversation titles; no embedding), so it can run on every
 * keystroke; the full hybrid `query` refines it once typing pauses. Declared here, beside the API table that uses it.
 */
import { z } from 'zod';
import type { Layer } from './types';

export const MAX_SUGGEST_CHARS = 200;

export const suggestInputSchema = z.strictObject({
  text: z.string().max(MAX_SUGGEST_CHARS),
  limit: z.number().int().min(1).max(20).optional(),
  /**
   * The caller can reach a loopback HTTP endpoint (browser mode): the answer then names the suggest reader's own
   * endpoint (`SuggestResult.direct`), which answers later keystrokes without the server's main thread.
   */
  direct: z.boolean().optional(),
});
export type SuggestInput = z.input<typeof suggestInputSchema>;

export interface SuggestHit {
  id: string;
  layer: Layer;
  kind: string;
  text: string;
  /** The words typed that it contains (the last one possibly as the start of a word), as they were typed. */
  matched: string[];
  /** The last typed word, matched as the start of a word ("sup" → "support"), or null. */
  prefix: string | null;
  validFrom: number | null;
}

export interface SuggestResult {
  text: string;
  hits: SuggestHit[];
  /** Entities whose name starts with the text. */
  entities: { id: string; name: string }[];
  /** Conversations whose title contains the text. */
  sessions: { id: string; title: string }[];
  /**
   * A newer suggest arrived while this one waited, so it was not run (its answer would be stale on arrival);
   * everything else is empty.
   */
  superseded: boolean;
  tookMs: number;
  /**
   * Asked for with `direct`: the suggest reader's own endpoint. POST `url` a text/plain body
   * `{"key": key, "input": SuggestInput}`; it answers the same envelope as the bridge (`{ok, value | error}`).
   */
  direct?: { url: string; key: string };
}
