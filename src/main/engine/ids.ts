/**
 * The id scheme of derived items, minted and parsed here only. An id starts with its kind and a colon:
 *   chunk:<first message id>[#<part>]   M0, a message or a run of short ones, or part n of a long one
 *   episode:<first chunk id>            M1, a span of a session's chunks
 *   fact:<16 hex>                       M2, from its episode and its normalised text
 *   entity:<normalised name>            M2, one per name across sessions
 *   relationship:<16 hex>               M2, from its normalised ends and kind
 * Ids are deterministic, so rebuilding a layer after a fault rewrites the same items instead of adding twins.
 */
import { createHash } from 'node:crypto';
import { normalizeKey } from './text';

export const ITEM_KINDS = ['chunk', 'episode', 'fact', 'entity', 'relationship'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];

const digest = (s: string): string => createHash('sha1').update(s).digest('hex').slice(0, 16);

/** A message's chunk (part 1), or part n > 1 of a long message split at sentence ends. */
export const chunkId = (messageId: string, part = 1): string =>
  part === 1 ? `chunk:${messageId}` : `chunk:${messageId}#${part}`;

/** An episode is named by its first chunk: re-cutting the open tail keeps the id while its start stays put. */
export const episodeId = (firstChunkId: string): string => `episode:${firstChunkId}`;

export const factId = (ofEpisode: string, factText: string): string =>
  `fact:${digest(`${ofEpisode}|${normalizeKey(factText)}`)}`;

/** Spellings that normalise alike ("Melanie's", "melanie") are one entity. */
export const entityId = (name: string): string => `entity:${normalizeKey(name)}`;

/** For a name already normalised (a lookup key). */
export const entityIdForKey = (key: string): string => `entity:${key}`;

export const relationshipId = (from: string, kind: string, to: string): string =>
  `relationship:${digest(`${normalizeKey(from)}|${normalizeKey(kind)}|${normalizeKey(to)}`)}`;

/** The kind an id names (`fact` for `fact:…`), or '' for an id outside the scheme (a message id). */
export function idKind(id: string): string {
  const at = id.indexOf(':');
  if (at <= 0) return '';
  const kind = id.slice(0, at);
  return (ITEM_KINDS as readonly string[]).includes(kind) ? kind : '';
}
