/**
 * M0 chunking: each message becomes a chunk, except that runs of short
 * consecutive messages of one session are merged (a greeting and its reply carry
 * little alone), and a long message is split at sentence ends. Every chunk line is
 * prefixed with its speaker. The planning is pure; the engine writes the chunks on
 * the caller's path, and the background queue re-chunks messages that lost theirs.
 */
import { chunkId } from '../ids';
import type { ItemInput } from '../storage/validate';
import { nowMs } from '../workers/protocol';
import { BACKGROUND, type LayerDeps } from './deps';

export interface ChunkSource {
  id: string;
  speaker: string;
  text: string;
  timestamp: number;
}

export interface ChunkPlan {
  id: string;
  text: string;
  messageIds: string[];
  speakers: string[];
  timestamp: number;
}

export interface ChunkOptions {
  /** A message with fewer tokens than this may be merged with its neighbours. */
  shortTokens: number;
  /** A merged chunk stays under this many tokens. */
  mergedTokens: number;
  /** A single message longer than this is split at sentence ends. */
  maxTokens: number;
}

export const CHUNK_DEFAULTS: ChunkOptions = { shortTokens: 12, mergedTokens: 48, maxTokens: 256 };

/** Word-and-punctuation tokens: close enough to a sentence encoder's count to bound a chunk's size. */
export function countTokens(text: string): number {
  return text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)?.length ?? 0;
}

function splitLong(text: string, maxTokens: number): string[] {
  const sentences = text.match(/[^.!?\n]+[.!?]*\s*|\n+/g) ?? [text];
  const parts: string[] = [];
  let cur = '';
  for (const s of sentences) {
    if (cur && countTokens(cur) + countTokens(s) > maxTokens) {
      parts.push(cur.trim());
      cur = '';
    }
    cur += s;
  }
  if (cur.trim()) parts.push(cur.trim());
  // A single sentence over the limit is cut by words as a last resort.
  return parts.flatMap((p) => {
    if (countTokens(p) <= maxTokens) return [p];
    const words = p.split(/\s+/);
    const out: string[] = [];
    for (let i = 0; i < words.length; i += maxTokens) out.push(words.slice(i, i + maxTokens).join(' '));
    return out;
  });
}

export function planChunks(messages: readonly ChunkSource[], opts: ChunkOptions = CHUNK_DEFAULTS): ChunkPlan[] {
  const plans: ChunkPlan[] = [];
  let run: ChunkSource[] = [];
  let runTokens = 0;
  const closeRun = () => {
    if (run.length === 0) return;
    const first = run[0] as ChunkSource;
    plans.push({
      id: chunkId(first.id),
      text: run.map((m) => `${m.speaker}: ${m.text}`).join('\n'),
      messageIds: run.map((m) => m.id),
      speakers: [...new Set(run.map((m) => m.speaker))],
      timestamp: first.timestamp,
    });
    run = [];
    runTokens = 0;
  };
  for (const m of messages) {
    const tokens = countTokens(m.text);
    if (tokens < opts.shortTokens) {
      if (runTokens + tokens > opts.mergedTokens) closeRun();
      run.push(m);
      runTokens += tokens;
      continue;
    }
    closeRun();
    const parts = tokens > opts.maxTokens ? splitLong(m.text, opts.maxTokens) : [m.text];
    parts.forEach((part, i) => {
      plans.push({
        id: chunkId(m.id, i + 1),
        text: `${m.speaker}: ${part}`,
        messageIds: [m.id],
        speakers: [m.speaker],
        timestamp: m.timestamp,
      });
    });
  }
  closeRun();
  return plans;
}

/** The M0 chunk items for a run of messages of one session. */
export function chunkItems(
  sessionId: string,
  messages: readonly ChunkSource[],
  opts: ChunkOptions = CHUNK_DEFAULTS,
): ItemInput[] {
  return planChunks(messages, opts).map((p) => ({
    id: p.id,
    layer: 'm0' as const,
    kind: 'chunk',
    sessionId,
    text: p.text,
    sources: p.messageIds,
    data: { speakers: p.speakers, timestamp: p.timestamp },
    validFrom: p.timestamp,
  }));
}

/** Messages whose chunk was deleted with a neighbour get chunks again (found on the reader: usually none). */
export async function repairChunks(
  { storage, embedder }: Pick<LayerDeps, 'storage' | 'embedder'>,
  sessionId: string,
): Promise<void> {
  const orphans = await storage.read('orphanMessages', { sessionId });
  if (orphans.length === 0) return;
  const items = chunkItems(sessionId, orphans);
  const start = nowMs();
  const vectors = await embedder.embed(
    items.map((i) => i.text),
    BACKGROUND,
  );
  await storage.writeToAll({
    items,
    vectors,
    kind: 'm0.repair',
    layer: 'm0',
    requireSessions: [sessionId],
    before: [{ stage: 'embed', start, end: nowMs(), rows: items.length }],
  });
}
