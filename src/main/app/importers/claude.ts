/**
 * Claude's export: `conversations.json` (conversations with `chat_messages`, the text preferably from the joined
 * `content[].text`, attachments' extracted text kept) and `projects.json` (project documents, imported as notes:
 * one session per project, one message per document).
 */
import { boundedId, conversationSession, isObject, messagesOf, refuse } from './common';
import type { ImporterOptions, ImporterResult, ImportFile, ParsedSession } from './types';

export const CLAUDE_ASSISTANT = 'Claude';

export function isClaude(json: unknown): boolean {
  return Array.isArray(json) && json.length > 0 && isObject(json[0]) && Array.isArray(json[0].chat_messages);
}

export function isClaudeProjects(json: unknown): boolean {
  return Array.isArray(json) && json.length > 0 && isObject(json[0]) && Array.isArray(json[0].docs);
}

function time(v: unknown, field: string): number | null {
  if (v === undefined || v === null || v === '') return null;
  const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(t)) throw refuse(field, `not a date: ${JSON.stringify(v)}`);
  return t;
}

function messageText(m: Record<string, unknown>): string {
  const blocks = Array.isArray(m.content) ? m.content : [];
  const joined = blocks
    .filter((b): b is Record<string, unknown> => isObject(b) && b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('\n\n')
    .trim();
  let text = joined || (typeof m.text === 'string' ? m.text.trim() : '');
  for (const a of Array.isArray(m.attachments) ? m.attachments : []) {
    if (!isObject(a) || typeof a.extracted_content !== 'string' || !a.extracted_content.trim()) continue;
    const name = typeof a.file_name === 'string' ? a.file_name : 'attachment';
    text += `${text ? '\n\n' : ''}[attachment ${name}]\n${a.extracted_content.trim()}`;
  }
  return text;
}

function parseConversations(file: ImportFile, user: string): ParsedSession[] {
  const json = file.json;
  if (!Array.isArray(json)) throw refuse(file.path, 'expected an array of conversations');
  const out: ParsedSession[] = [];
  json.forEach((c: unknown, ci) => {
    const f = `${file.path}[${ci}]`;
    if (!isObject(c)) throw refuse(f, 'expected a conversation object');
    if (typeof c.uuid !== 'string' || !c.uuid) throw refuse(`${f}.uuid`, 'required');
    if (!Array.isArray(c.chat_messages)) throw refuse(`${f}.chat_messages`, 'expected an array');
    const created = time(c.created_at, `${f}.created_at`);
    const sessionId = boundedId(`claude:${c.uuid}`);
    let last = created ?? time(c.updated_at, `${f}.updated_at`) ?? Date.now();
    const messages = c.chat_messages.flatMap((m: unknown, mi) => {
      const mf = `${f}.chat_messages[${mi}]`;
      if (!isObject(m)) throw refuse(mf, 'expected a message object');
      if (typeof m.uuid !== 'string' || !m.uuid) throw refuse(`${mf}.uuid`, 'required');
      if (m.sender !== 'human' && m.sender !== 'assistant') {
        throw refuse(`${mf}.sender`, `expected human or assistant, got ${JSON.stringify(m.sender)}`);
      }
      last = time(m.created_at, `${mf}.created_at`) ?? last;
      const human = m.sender === 'human';
      return messagesOf(
        {
          id: boundedId(`${sessionId}:${m.uuid}`),
          role: human ? 'user' : 'assistant',
          speaker: human ? user : CLAUDE_ASSISTANT,
          text: messageText(m),
          timestamp: last,
          externalId: boundedId(m.uuid),
        },
        mf,
      );
    });
    if (messages.length === 0) return;
    out.push(conversationSession(sessionId, c.name, messages, created, user));
  });
  return out;
}

function parseProjects(file: ImportFile, user: string): ParsedSession[] {
  const json = file.json;
  if (!Array.isArray(json)) throw refuse(file.path, 'expected an array of projects');
  const out: ParsedSession[] = [];
  json.forEach((p: unknown, pi) => {
    const f = `${file.path}[${pi}]`;
    if (!isObject(p)) throw refuse(f, 'expected a project object');
    if (typeof p.uuid !== 'string' || !p.uuid) throw refuse(`${f}.uuid`, 'required');
    const docs = Array.isArray(p.docs) ? p.docs : [];
    const created = time(p.created_at, `${f}.created_at`) ?? Date.now();
    const sessionId = boundedId(`claude-project:${p.uuid}`);
    const messages = docs.flatMap((d: unknown, di) => {
      const df = `${f}.docs[${di}]`;
      if (!isObject(d)) throw refuse(df, 'expected a document object');
      if (typeof d.uuid !== 'string' || !d.uuid) throw refuse(`${df}.uuid`, 'required');
      const name = typeof d.filename === 'string' ? d.filename : 'document';
      const content = typeof d.content === 'string' ? d.content.trim() : '';
      if (!content) return [];
      return messagesOf(
        {
          id: boundedId(`${sessionId}:${d.uuid}`),
          role: 'user',
          speaker: user,
          text: `${name}\n\n${content}`,
          timestamp: time(d.created_at, `${df}.created_at`) ?? created,
          externalId: boundedId(d.uuid),
        },
        df,
      );
    });
    if (messages.length === 0) return;
    const name = typeof p.name === 'string' && p.name.trim() ? p.name.trim() : 'Untitled project';
    out.push({
      session: {
        id: sessionId,
        title: `Project: ${name}`.slice(0, 500),
        participants: [user],
        startedAt: created,
        userId: user,
      },
      messages,
    });
  });
  return out;
}

export function parseClaude(files: ImportFile[], opts: ImporterOptions): ImporterResult {
  const user = opts.user ?? 'User';
  const sessions = files.flatMap((f) =>
    isClaudeProjects(f.json) ? parseProjects(f, user) : parseConversations(f, user),
  );
  const projects = files.filter((f) => isClaudeProjects(f.json)).length;
  return {
    sessions,
    user,
    notes: projects > 0 ? ['project documents are imported as notes, one session per project'] : [],
  };
}
