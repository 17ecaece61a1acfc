/**
 * Helpers every importer shares: typed refusals naming the place in the file, stable ids, message validation,
 * and splitting a message longer than the engine's bound at a paragraph or word edge instead of refusing the
 * whole export for it.
 */
import { createHash } from 'node:crypto';
import { StrataError } from '../../../shared/errors';
import { MAX_MESSAGE_CHARS, type MessageInput, messageInputSchema, parseInput } from '../../../shared/schema';
import type { ParsedSession } from './types';

export const refuse = (field: string, why: string): StrataError =>
  new StrataError('INVALID_INPUT', `${field}: ${why}`, { field });

/** A short, stable digest for ids where a format gives none. */
export function stableHash(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 16);
}

/** Ids are bounded at 256 characters: a longer one keeps its start and a hash of the whole. */
export function boundedId(id: string): string {
  return id.length <= 200 ? id : `${id.slice(0, 180)}#${stableHash(id)}`;
}

export function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw refuse(field, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const SPLIT_AT = MAX_MESSAGE_CHARS - 768;

/** Pieces of at most SPLIT_AT characters, cut at a blank line, a line end or a space where there is one. */
export function splitText(text: string): string[] {
  if (text.length <= MAX_MESSAGE_CHARS) return [text];
  const out: string[] = [];
  let rest = text;
  while (rest.length > SPLIT_AT) {
    const window = rest.slice(0, SPLIT_AT);
    let cut = window.lastIndexOf('\n\n');
    if (cut < SPLIT_AT / 2) cut = window.lastIndexOf('\n');
    if (cut < SPLIT_AT / 2) cut = window.lastIndexOf(' ');
    if (cut < SPLIT_AT / 2) cut = SPLIT_AT;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\s+/, '');
  }
  if (rest.trim()) out.push(rest);
  return out;
}

/**
 * Validates a message and returns it (or, when its text is over the bound, its pieces with ids `id#2`, `id#3`…).
 * A message whose text is empty after trimming is dropped: exports hold many (hidden prompts, bare attachments).
 */
export function messagesOf(m: MessageInput & { id: string }, field: string): (MessageInput & { id: string })[] {
  if (m.text.trim().length === 0) return [];
  const pieces = splitText(m.text);
  return pieces.map((text, i) => {
    const piece = { ...m, text, id: i === 0 ? m.id : boundedId(`${m.id}#${i + 1}`) };
    parseInput(messageInputSchema, piece, field);
    return piece;
  });
}

/** Participants in order of first appearance. */
/**
 * One exported conversation as a session: its title (trimmed, bounded; "Untitled conversation" when it has none),
 * the speakers of its messages, its start (the conversation's own time, else its first message's) and the user.
 */
export function conversationSession(
  id: string,
  title: unknown,
  messages: ParsedSession['messages'],
  created: number | null | undefined,
  user: string,
): ParsedSession {
  return {
    session: {
      id,
      title: typeof title === 'string' && title.trim() ? title.trim().slice(0, 500) : 'Untitled conversation',
      participants: participantsOf(messages),
      startedAt: created ?? (messages[0]?.timestamp as number),
      userId: user,
    },
    messages,
  };
}

export function participantsOf(messages: { speaker?: string; role?: string }[]): string[] {
  return [...new Set(messages.map((m) => m.speaker ?? m.role ?? 'user'))].slice(0, 100);
}

/** Fills missing times from the nearest earlier known time (else the nearest later, else `fallback`). */
export function fillTimes(times: (number | null)[], fallback: number): number[] {
  const out: number[] = new Array(times.length);
  let last: number | null = null;
  for (let i = 0; i < times.length; i++) {
    const t = times[i] ?? null;
    if (t !== null) last = t;
    out[i] = last ?? Number.NaN;
  }
  let next: number | null = null;
  for (let i = times.length - 1; i >= 0; i--) {
    const t = times[i] ?? null;
    if (t !== null) next = t;
    if (Number.isNaN(out[i])) out[i] = next ?? fallback;
  }
  return out;
}

export function sessionCount(sessions: ParsedSession[]): number {
  return sessions.reduce((n, s) => n + s.messages.length, 0);
}

/** "1 hidden message", "3 hidden messages". */
export const plural = (n: number, one: string, many = `${one}s`): string =>
  `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
