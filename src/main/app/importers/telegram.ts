/**
 * Telegram Desktop's `result.json`: a full export (`chats.list[]`, with `personal_information` naming the user) or
 * one chat (`{name, type, id, messages}`). A message's text is its `text_entities[].text` joined (else `text`, a
 * string or an array of strings and entity objects); media without a caption becomes a bracketed note; service
 * messages (calls, pins, joins) are skipped.
 */
import { boundedId, isObject, messagesOf, participantsOf, plural, refuse } from './common';
import type { ImporterOptions, ImporterResult, ImportFile, ParsedSession } from './types';

export function isTelegram(json: unknown): boolean {
  if (!isObject(json)) return false;
  if (isObject(json.chats) && Array.isArray(json.chats.list)) return true;
  return Array.isArray(json.messages) && 'id' in json && ('type' in json || 'name' in json);
}

function textOf(m: Record<string, unknown>): string {
  if (Array.isArray(m.text_entities)) {
    const t = m.text_entities
      .map((e) => (isObject(e) && typeof e.text === 'string' ? e.text : ''))
      .join('')
      .trim();
    if (t) return t;
  }
  if (typeof m.text === 'string') return m.text.trim();
  if (Array.isArray(m.text)) {
    return m.text
      .map((p) => (typeof p === 'string' ? p : isObject(p) && typeof p.text === 'string' ? p.text : ''))
      .join('')
      .trim();
  }
  return '';
}

function mediaNote(m: Record<string, unknown>): string {
  if (typeof m.sticker_emoji === 'string') return `[sticker ${m.sticker_emoji}]`;
  if (m.photo !== undefined) return '[photo]';
  if (typeof m.media_type === 'string') return `[${m.media_type.replace(/_/g, ' ')}]`;
  if (typeof m.file === 'string') return `[file: ${m.file_name ?? m.file}]`;
  return '';
}

function timeOf(m: Record<string, unknown>, field: string): number {
  if (typeof m.date_unixtime === 'string' && /^\d+$/.test(m.date_unixtime)) return Number(m.date_unixtime) * 1000;
  if (typeof m.date === 'string' && !Number.isNaN(Date.parse(m.date))) return Date.parse(m.date);
  throw refuse(`${field}.date`, 'required (date_unixtime or an ISO date)');
}

export function parseTelegram(files: ImportFile[], opts: ImporterOptions): ImporterResult {
  const sessions: ParsedSession[] = [];
  let service = 0;
  let user: string | null = opts.user ?? null;
  for (const file of files) {
    const json = file.json;
    if (!isObject(json)) throw refuse(file.path, 'expected a Telegram export object');
    const full = isObject(json.chats) && Array.isArray(json.chats.list);
    const chats = full ? ((json.chats as Record<string, unknown>).list as unknown[]) : [json];
    const me = isObject(json.personal_information) ? json.personal_information : null;
    const meId = me && (typeof me.user_id === 'number' || typeof me.user_id === 'string') ? `user${me.user_id}` : null;
    chats.forEach((c, ci) => {
      const f = full ? `${file.path}.chats.list[${ci}]` : file.path;
      if (!isObject(c)) throw refuse(f, 'expected a chat object');
      if (typeof c.id !== 'number' && typeof c.id !== 'string') throw refuse(`${f}.id`, 'required');
      if (!Array.isArray(c.messages)) throw refuse(`${f}.messages`, 'expected an array');
      const sessionId = boundedId(`telegram:${c.id}`);
      const name = typeof c.name === 'string' && c.name ? c.name : null;
      const msgs = c.messages.flatMap((m: unknown, mi) => {
        const mf = `${f}.messages[${mi}]`;
        if (!isObject(m)) throw refuse(mf, 'expected a message object');
        if (m.type === 'service') {
          service++;
          return [];
        }
        if (m.type !== undefined && m.type !== 'message') {
          throw refuse(`${mf}.type`, `expected message or service, got ${JSON.stringify(m.type)}`);
        }
        if (typeof m.id !== 'number' && typeof m.id !== 'string') throw refuse(`${mf}.id`, 'required');
        const speaker = typeof m.from === 'string' && m.from ? m.from.slice(0, 200) : String(m.from_id ?? 'unknown');
        if (user === null && meId !== null && m.from_id === meId) user = speaker;
        const text = textOf(m);
        const media = mediaNote(m);
        return messagesOf(
          {
            id: boundedId(`${sessionId}:${m.id}`),
            role: 'user',
            speaker,
            text: text && media ? `${media} ${text}` : text || media,
            timestamp: timeOf(m, mf),
            externalId: String(m.id),
          },
          mf,
        );
      });
      if (msgs.length === 0) return;
      const speakers = participantsOf(msgs);
      // A one-to-one chat is named after the other person: the exporter is the one who is not them.
      if (user === null && c.type === 'personal_chat' && name && speakers.length === 2 && speakers.includes(name)) {
        user = speakers.find((s) => s !== name) ?? null;
      }
      sessions.push({
        session: {
          id: sessionId,
          title: `Telegram: ${name ?? c.id}`.slice(0, 500),
          participants: speakers,
          startedAt: msgs[0]?.timestamp as number,
        },
        messages: msgs,
      });
    });
  }
  for (const s of sessions) if (user !== null) s.session.userId = user;
  const notes = service > 0 ? [`${plural(service, 'service message')} (calls, pins, joins) skipped`] : [];
  if (user === null) notes.push('who is the user could not be inferred: name them to record it');
  return { sessions, user, notes };
}
