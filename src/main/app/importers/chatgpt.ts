/**
 * ChatGPT's `conversations.json` (or its split `conversations-000.json` …): an array of conversations whose
 * messages form a tree (`mapping`); the conversation as the user last saw it is the branch from `current_node`
 * up through `parent`, reversed. Hidden, empty and tool messages are skipped; a missing time is taken from
 * its neighbours.
 */
import { boundedId, conversationSession, fillTimes, isObject, messagesOf, plural, refuse } from './common';
import { arrayElements } from './json-stream';
import type { ImporterOptions, ImporterResult, ImportFile, ParsedSession } from './types';

export const CHATGPT_ASSISTANT = 'ChatGPT';

/** True when the parsed JSON looks like a ChatGPT export (an array of conversations with a `mapping`). */
export function isChatGpt(json: unknown): boolean {
  return Array.isArray(json) && json.length > 0 && isObject(json[0]) && isObject(json[0].mapping);
}

interface Node {
  id?: unknown;
  parent?: unknown;
  children?: unknown;
  message?: unknown;
}

function textOf(content: unknown): string {
  if (!isObject(content)) return '';
  const type = content.content_type;
  // Custom instructions, browsing displays and quotes are not what was said.
  if (type === 'user_editable_context' || type === 'tether_browsing_display' || type === 'tether_quote') return '';
  if (Array.isArray(content.parts)) {
    // multimodal_text mixes strings with image pointers: the strings are the text.
    return content.parts
      .filter((p): p is string => typeof p === 'string')
      .join('\n')
      .trim();
  }
  return typeof content.text === 'string' ? content.text.trim() : '';
}

/** The active branch: from current_node up to the root, reversed; without one, the last child at every step. */
function branch(mapping: Record<string, Node>, current: unknown, field: string): Node[] {
  const path: Node[] = [];
  const seen = new Set<string>();
  if (typeof current === 'string' && mapping[current]) {
    let id: unknown = current;
    while (typeof id === 'string' && mapping[id]) {
      if (seen.has(id)) throw refuse(`${field}.mapping.${id}.parent`, 'the parent links form a cycle');
      seen.add(id);
      const node = mapping[id] as Node;
      path.push(node);
      id = node.parent;
    }
    return path.reverse();
  }
  const root = Object.entries(mapping).find(([, n]) => n.parent === null || n.parent === undefined);
  let id: string | undefined = root?.[0];
  while (id !== undefined && mapping[id] && !seen.has(id)) {
    seen.add(id);
    const node = mapping[id] as Node;
    path.push(node);
    const kids = Array.isArray(node.children) ? node.children : [];
    const last = kids[kids.length - 1];
    id = typeof last === 'string' ? last : undefined;
  }
  return path;
}

/** A file's conversations one at a time: streamed from its bytes, or from JSON already parsed (text input). */
function* conversations(file: ImportFile): Generator<{ value: unknown; index: number }> {
  if (file.json === undefined && file.bytes) {
    yield* arrayElements(file.bytes, file.path, 'an array of conversations');
    return;
  }
  const json = file.json;
  if (!Array.isArray(json)) throw refuse(file.path, 'expected an array of conversations');
  for (let index = 0; index < json.length; index++) yield { value: json[index], index };
}

export function parseChatGpt(files: ImportFile[], opts: ImporterOptions): ImporterResult {
  const user = opts.user ?? 'User';
  const sessions: ParsedSession[] = [];
  let hidden = 0;
  let tools = 0;
  let branches = 0;
  for (const file of files) {
    for (const { value: c, index: ci } of conversations(file)) {
      const f = `${file.path}[${ci}]`;
      if (!isObject(c)) throw refuse(f, 'expected a conversation object');
      const convId = c.conversation_id ?? c.id;
      if (typeof convId !== 'string' || convId.length === 0) throw refuse(`${f}.id`, 'required');
      if (!isObject(c.mapping)) throw refuse(`${f}.mapping`, 'expected an object of message nodes');
      const mapping = c.mapping as Record<string, Node>;
      for (const [key, node] of Object.entries(mapping)) {
        if (!isObject(node)) throw refuse(`${f}.mapping.${key}`, 'expected a node object');
        if (Array.isArray(node.children) && node.children.length > 1) branches++;
      }
      const created = typeof c.create_time === 'number' ? c.create_time * 1000 : null;
      const updated = typeof c.update_time === 'number' ? c.update_time * 1000 : null;
      const picked: { id: string; role: 'user' | 'assistant' | 'system'; text: string; time: number | null }[] = [];
      for (const node of branch(mapping, c.current_node, f)) {
        const m = node.message;
        if (m === null || m === undefined) continue;
        const nf = `${f}.mapping.${String(node.id)}.message`;
        if (!isObject(m)) throw refuse(nf, 'expected an object or null');
        const meta = isObject(m.metadata) ? m.metadata : {};
        if (meta.is_visually_hidden_from_conversation === true) {
          hidden++;
          continue;
        }
        const role = isObject(m.author) ? m.author.role : undefined;
        if (role === 'tool') {
          tools++;
          continue;
        }
        if (role !== 'user' && role !== 'assistant' && role !== 'system') {
          throw refuse(`${nf}.author.role`, `expected user, assistant, system or tool, got ${JSON.stringify(role)}`);
        }
        const text = textOf(m.content);
        if (!text) continue;
        if (m.create_time !== null && m.create_time !== undefined && typeof m.create_time !== 'number') {
          throw refuse(`${nf}.create_time`, 'expected seconds since 1970 or null');
        }
        const msgId = typeof m.id === 'string' && m.id ? m.id : String(node.id);
        picked.push({
          id: msgId,
          role,
          text,
          time: typeof m.create_time === 'number' && m.create_time > 0 ? m.create_time * 1000 : null,
        });
      }
      if (picked.length === 0) continue;
      const times = fillTimes(
        picked.map((p) => p.time),
        created ?? updated ?? Date.now(),
      );
      const sessionId = boundedId(`chatgpt:${convId}`);
      const messages = picked.flatMap((p, i) =>
        messagesOf(
          {
            id: boundedId(`${sessionId}:${p.id}`),
            role: p.role,
            speaker: p.role === 'user' ? user : p.role === 'assistant' ? CHATGPT_ASSISTANT : 'system',
            text: p.text,
            timestamp: times[i] as number,
            externalId: boundedId(p.id),
          },
          `${f}.mapping.${p.id}`,
        ),
      );
      if (messages.length === 0) continue;
      sessions.push(conversationSession(sessionId, c.title, messages, created, user));
    }
  }
  const notes: string[] = [];
  if (branches > 0)
    notes.push(`${plural(branches, 'edited or regenerated turn')}: only the branch last shown is imported`);
  if (hidden > 0) notes.push(`${plural(hidden, 'hidden message')} skipped`);
  if (tools > 0) notes.push(`${plural(tools, 'tool message')} (browsing, code output) skipped`);
  return { sessions, user, notes };
}
