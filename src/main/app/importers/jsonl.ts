/**
 * JSON Lines of messages: one `{role|speaker, content|text, timestamp, id?, session?}` per line; lines naming a
 * `session` (or `conversation_id`) are grouped into it. A line without an id gets a hash of its own content.
 */
import { StrataError } from '../../../shared/errors';
import { boundedId, isObject, messagesOf, participantsOf, refuse, stableHash } from './common';
import type { ImporterOptions, ImporterResult, ImportFile, ParsedSession } from './types';

const ROLES = new Set(['user', 'assistant', 'system']);

/** The first non-empty line is a JSON object on its own and the next one starts another (or there is no next). */
export function isJsonl(text: string): boolean {
  const lines = text.split(/\r?\n/, 50).filter((l) => l.trim());
  const first = lines[0]?.trim();
  if (!first?.startsWith('{') || !first.endsWith('}')) return false;
  try {
    if (!isObject(JSON.parse(first))) return false;
  } catch {
    return false;
  }
  return lines.length === 1 || (lines[1] as string).trim().startsWith('{');
}

export function parseJsonl(files: ImportFile[], opts: ImporterOptions): ImporterResult {
  const sessions = new Map<string, ParsedSession>();
  const now = Date.now();
  for (const file of files) {
    const seen = new Map<string, number>();
    file.text.split(/\r?\n/).forEach((line, i) => {
      if (!line.trim()) return;
      const f = `${file.path} line ${i + 1}`;
      let r: unknown;
      try {
        r = JSON.parse(line);
      } catch (err) {
        throw refuse(f, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
      }
      if (!isObject(r)) throw refuse(f, 'expected a JSON object');
      const text = r.content ?? r.text;
      if (typeof text !== 'string') throw refuse(`${f}.content`, 'required (content or text)');
      const role = r.role ?? (r.speaker === undefined ? undefined : 'user');
      if (role === undefined) throw refuse(`${f}.role`, 'needs a role or a speaker');
      if (!ROLES.has(String(role))) {
        throw refuse(`${f}.role`, `expected user, assistant or system, got ${JSON.stringify(role)}`);
      }
      const speaker = typeof r.speaker === 'string' && r.speaker ? r.speaker : String(role);
      const ts = r.timestamp ?? r.time ?? r.created_at;
      if (ts !== undefined && typeof ts !== 'number' && typeof ts !== 'string') {
        throw refuse(`${f}.timestamp`, 'expected epoch ms or a date string');
      }
      const key = r.session ?? r.conversation_id ?? r.session_id ?? '';
      const sessionKey = typeof key === 'string' || typeof key === 'number' ? String(key) : '';
      const sessionId = boundedId(`jsonl:${stableHash(file.path, sessionKey)}`);
      const hash = stableHash(speaker, text, String(ts ?? ''));
      const nth = (seen.get(hash) ?? 0) + 1;
      seen.set(hash, nth);
      const own = typeof r.id === 'string' || typeof r.id === 'number' ? String(r.id) : null;
      const id = boundedId(`${sessionId}:${own ?? `${hash}${nth > 1 ? `:${nth}` : ''}`}`);
      let s = sessions.get(sessionId);
      if (!s) {
        const base = file.path.split(/[\\/]/).pop() ?? file.path;
        const title = opts.title ?? base.replace(/\.jsonl?$/i, '');
        s = { session: { id: sessionId, title: sessionKey ? `${title} — ${sessionKey}` : title }, messages: [] };
        sessions.set(sessionId, s);
      }
      try {
        s.messages.push(
          ...messagesOf(
            {
              id,
              role: role as 'user' | 'assistant' | 'system',
              speaker,
              text,
              timestamp: ts ?? now + i,
              ...(own !== null && { externalId: own }),
            },
            f,
          ),
        );
      } catch (err) {
        if (err instanceof StrataError) throw err;
        throw refuse(f, String(err));
      }
    });
  }
  const out = [...sessions.values()].filter((s) => s.messages.length > 0);
  for (const s of out) s.session.participants = participantsOf(s.messages);
  const user = opts.user ?? null;
  if (user) for (const s of out) s.session.userId = user;
  return { sessions: out, user, notes: [] };
}
