/**
 * The simplest inputs: a JSON array of messages (`[{speaker|name|role, text|content, timestamp?, session?}]` or
 * `{"messages": [...]}`) and plain `Speaker: text` lines (a line without a speaker continues the one before).
 * Neither carries ids: a session's id is a hash of the content, a message's its place in it, so the same paste
 * or file imported twice is recognised.
 */
import { boundedId, isObject, messagesOf, participantsOf, refuse, stableHash } from './common';
import type { ImporterOptions, ImporterResult, ImportFile, ParsedSession } from './types';

const ROLES = new Set(['user', 'assistant', 'system']);

export function parseMessageArray(files: ImportFile[], opts: ImporterOptions): ImporterResult {
  const out: ParsedSession[] = [];
  const now = Date.now();
  for (const file of files) {
    const raw = file.json;
    const list = Array.isArray(raw) ? raw : isObject(raw) ? raw.messages : undefined;
    if (!Array.isArray(list)) throw refuse('file', 'expected a JSON array of messages (or {"messages": [...]})');
    if (list.length === 0) throw refuse('file', 'the array holds no messages');
    const title = opts.title ?? opts.name;
    const digest = stableHash(file.text);
    const groups = new Map<string, ParsedSession>();
    list.forEach((m: unknown, i) => {
      const f = `messages[${i}]`;
      if (!isObject(m)) throw refuse(f, 'expected an object');
      const text = m.text ?? m.content;
      if (typeof text !== 'string') throw refuse(`${f}.text`, 'required');
      const speaker = m.speaker ?? m.name;
      if (speaker === undefined && m.role === undefined) throw refuse(`${f}.speaker`, 'needs a speaker or a role');
      if (m.role !== undefined && !ROLES.has(String(m.role))) {
        throw refuse(`${f}.role`, `expected user, assistant or system, got ${JSON.stringify(m.role)}`);
      }
      if (text.trim().length === 0) throw refuse(`${f}.text`, 'must not be empty');
      const key = typeof m.session === 'string' && m.session.length > 0 ? m.session : '';
      let g = groups.get(key);
      if (!g) {
        g = {
          session: { id: boundedId(`messages:${digest}:${key}`), title: key ? `${title} — ${key}` : title },
          messages: [],
        };
        groups.set(key, g);
      }
      const ts = m.timestamp ?? m.time ?? m.date;
      g.messages.push(
        ...messagesOf(
          {
            id: typeof m.id === 'string' && m.id ? m.id : `${g.session.id}:${i}`,
            ...(m.role !== undefined && { role: m.role as 'user' | 'assistant' | 'system' }),
            ...(speaker !== undefined && { speaker: speaker as string }),
            text,
            timestamp: (ts as number | string | undefined) ?? now + i * 1000,
          },
          f,
        ),
      );
    });
    for (const g of groups.values()) {
      g.session.participants = participantsOf(g.messages);
      out.push(g);
    }
  }
  return { sessions: out, user: opts.user ?? null, notes: [] };
}

export function parseSpeakerLines(files: ImportFile[], opts: ImporterOptions): ImporterResult {
  const out: ParsedSession[] = [];
  const now = Date.now();
  for (const file of files) {
    const lines: { speaker: string; text: string; line: number }[] = [];
    file.text.split(/\r?\n/).forEach((line, n) => {
      const t = line.trim();
      if (!t) return;
      const m = /^([^:]{1,40}):\s+(.+)$/.exec(t);
      const last = lines[lines.length - 1];
      if (m) lines.push({ speaker: (m[1] as string).trim(), text: m[2] as string, line: n + 1 });
      else if (last) last.text = `${last.text}\n${t}`;
      else lines.push({ speaker: opts.user ?? 'user', text: t, line: n + 1 });
    });
    if (lines.length === 0) throw refuse('file', 'holds no text');
    const sessionId = boundedId(`text:${stableHash(file.text.trim())}`);
    const messages = lines.flatMap((l, i) =>
      messagesOf(
        { id: `${sessionId}:${i}`, role: 'user', speaker: l.speaker, text: l.text, timestamp: now + i * 1000 },
        `lines[${i}]`,
      ),
    );
    const base = file.path.split(/[\\/]/).pop() ?? file.path;
    out.push({
      session: {
        id: sessionId,
        title: opts.title ?? (files.length > 1 ? base : opts.name),
        participants: participantsOf(messages),
        ...(opts.user && { userId: opts.user }),
      },
      messages,
    });
  }
  return { sessions: out, user: opts.user ?? null, notes: [] };
}
