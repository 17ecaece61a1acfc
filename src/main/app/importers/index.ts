/**
 * One entry for every import format: raw files or an export's ZIP in, the format detected from each file's
 * content (never from its name alone, nor from an earlier choice), every message parsed and validated, out come
 * sessions ready to write. Nothing here touches the engine.
 */
import { MAX_IMPORT_MESSAGES } from '../../../shared/app-schema';
import { IMPORT_FORMAT_LABELS, IMPORT_FORMATS, type ImportFormat } from '../../../shared/app-types';
import { isChatGpt, parseChatGpt } from './chatgpt';
import { isClaude, isClaudeProjects, parseClaude } from './claude';
import { boundedId, isObject, parseJson, refuse } from './common';
import { firstElement, headText, startsArray } from './json-stream';
import { isJsonl, parseJsonl } from './jsonl';
import { isLocomo, parseLocomo } from './locomo';
import { isMarkdown, parseNotes } from './notes';
import { parseMessageArray, parseSpeakerLines } from './plain';
import { isTelegram, parseTelegram } from './telegram';
import type { ImporterOptions, ImporterResult, ImportFile, ParsedSession } from './types';
import { isWhatsApp, parseWhatsApp } from './whatsapp';
import { isZip, readZip, ZIP_LIMITS } from './zip';

export { parseLocomoDate } from './locomo';
export type { ImporterOptions, ImportFile, ParsedSession } from './types';
export { ZIP_LIMITS } from './zip';

export { IMPORT_FORMATS };
export type ImportFormatName = ImportFormat;
export const FORMAT_LABELS = IMPORT_FORMAT_LABELS;

/** Bounds on one import, so a huge file is refused with a reason instead of filling the disk. */
export const IMPORT_LIMITS = { sessions: 200_000, messages: MAX_IMPORT_MESSAGES };

/** One input as given: a file's bytes (a ZIP is opened) or text already decoded. */
export interface RawInput {
  path: string;
  bytes?: Uint8Array;
  text?: string;
  modifiedAt?: number;
}

export interface ParsedImport {
  format: ImportFormatName;
  sessions: ParsedSession[];
  user: string | null;
  notes: string[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function decode(bytes: Uint8Array, path: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw refuse(path, 'not UTF-8 text');
  }
}

/**
 * A file as an import reads it. A JSON array is kept as bytes with its text decoded only if a parser asks for it:
 * ChatGPT's conversations are read from the bytes one at a time (json-stream.ts), so a large export is never one
 * string and one parsed tree at once.
 */
function importFile(path: string, bytes: Uint8Array, field: string, modifiedAt?: number): ImportFile {
  const file: ImportFile = { path, text: '', ...(modifiedAt !== undefined && { modifiedAt }) };
  if (!startsArray(bytes)) {
    file.text = decode(bytes, field);
    return file;
  }
  let text: string | undefined;
  Object.defineProperty(file, 'text', {
    enumerable: true,
    get: () => {
      text ??= decode(bytes, field);
      return text;
    },
  });
  file.bytes = bytes;
  return file;
}

/** True when the file holds nothing but whitespace (a file kept as bytes starts with `[`, so it is not). */
function isBlank(file: ImportFile): boolean {
  return !file.bytes && !file.text.trim();
}

/** A ChatGPT export kept as bytes: judged by its first conversation alone, the rest is read when parsed. */
function isChatGptBytes(file: ImportFile): boolean {
  if (!file.bytes) return false;
  const first = firstElement(file.bytes, file.path);
  return first !== undefined && isChatGpt([first]);
}

/** What a file holds, judged by its content; null for a JSON file of no known shape inside a ZIP. */
export function detectFormat(file: ImportFile): ImportFormatName | null {
  if (file.bytes) {
    // Before JSON: an iOS WhatsApp line starts with "[".
    if (
      isWhatsApp(
        headText(file.bytes)
          .trimStart()
          .replace(/^\ufeff/, ''),
      )
    )
      return 'whatsapp';
    if (isChatGptBytes(file)) return 'chatgpt';
  }
  const head = file.text.trimStart().replace(/^\ufeff/, '');
  // Before JSON: an iOS WhatsApp line starts with "[".
  if (isWhatsApp(head)) return 'whatsapp';
  if (head.startsWith('{') || head.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(head);
    } catch {
      if (isJsonl(head)) return /^\{\s*"type"\s*:\s*"strata-export"/.test(head) ? 'strata' : 'jsonl';
      return 'messages';
    }
    file.json = json;
    if (isChatGpt(json)) return 'chatgpt';
    if (isClaude(json) || isClaudeProjects(json)) return 'claude';
    if (isTelegram(json)) return 'telegram';
    if (isLocomo(json)) return 'locomo';
    if (isObject(json) && json.type === 'strata-export') return 'strata';
    if (isObject(json) && (typeof json.content === 'string' || typeof json.text === 'string')) return 'jsonl';
    if (Array.isArray(json) || (isObject(json) && Array.isArray(json.messages))) return 'messages';
    return null;
  }
  if (isMarkdown(file)) return 'notes';
  return 'text';
}

const PARSERS: Record<Exclude<ImportFormatName, 'strata'>, (f: ImportFile[], o: ImporterOptions) => ImporterResult> = {
  chatgpt: parseChatGpt,
  claude: parseClaude,
  whatsapp: parseWhatsApp,
  telegram: parseTelegram,
  notes: parseNotes,
  jsonl: parseJsonl,
  locomo: parseLocomo,
  messages: parseMessageArray,
  text: parseSpeakerLines,
};

const JSON_FORMATS = new Set<ImportFormatName>(['chatgpt', 'claude', 'telegram', 'locomo', 'messages']);

/** A file its parser reads from the bytes, one record at a time, instead of one parse of the whole text. */
const streamed = (format: ImportFormatName, file: ImportFile): boolean => format === 'chatgpt' && !!file.bytes;

/** Opens ZIPs and decodes text: the files an import reads, in order. */
export function expandInputs(inputs: RawInput[], limits = ZIP_LIMITS): { files: ImportFile[]; fromZip: boolean } {
  const files: ImportFile[] = [];
  let fromZip = false;
  for (const input of inputs) {
    if (input.bytes && isZip(input.bytes)) {
      fromZip = true;
      for (const e of readZip(input.bytes, input.path, limits)) {
        files.push(importFile(`${input.path}/${e.path}`, e.bytes, `${input.path}: ${e.path}`));
      }
    } else if (input.text !== undefined) {
      files.push({
        path: input.path,
        text: input.text,
        ...(input.modifiedAt !== undefined && { modifiedAt: input.modifiedAt }),
      });
    } else {
      files.push(importFile(input.path, input.bytes ?? new Uint8Array(0), input.path, input.modifiedAt));
    }
  }
  return { files, fromZip };
}

/**
 * Parses and validates everything; throws INVALID_INPUT naming the file and the place in it. `format` forces
 * one format for every file (the user's override); otherwise each file's content decides.
 */
export function parseFiles(
  inputs: RawInput[],
  opts: ImporterOptions & { format?: ImportFormatName; zipLimits?: typeof ZIP_LIMITS },
): ParsedImport & { files: ImportFile[] } {
  const { files, fromZip } = expandInputs(inputs, opts.zipLimits);
  if (files.length === 0) throw refuse(inputs[0]?.path ?? 'file', 'holds no text, JSON or Markdown files');
  const groups = new Map<ImportFormatName, ImportFile[]>();
  const ignored: string[] = [];
  for (const file of files) {
    if (isBlank(file)) {
      if (!fromZip) throw refuse(file.path, 'the file is empty');
      continue;
    }
    let format = opts.format ?? detectFormat(file);
    if (format !== null && opts.format && JSON_FORMATS.has(format) && !streamed(format, file)) {
      file.json = parseJson(file.text, file.path);
    }
    // A ZIP holds more than the conversations (user.json, feedback, HTML): what has no known shape is left out.
    if (format === null || (fromZip && !opts.format && (format === 'messages' || format === 'text'))) {
      if (!fromZip) format = 'messages';
      else {
        ignored.push(file.path.slice(file.path.indexOf('/') + 1));
        continue;
      }
    }
    const list = groups.get(format) ?? [];
    list.push(file);
    groups.set(format, list);
  }
  if (groups.size === 0) {
    throw refuse(inputs[0]?.path ?? 'file', `no conversations found (read: ${ignored.slice(0, 8).join(', ')})`);
  }
  if (groups.has('strata')) {
    throw refuse(inputs[0]?.path ?? 'file', 'a Strata export is restored with "strata import" into its own data');
  }
  const sessions: ParsedSession[] = [];
  const notes: string[] = [];
  let user: string | null = null;
  let format: ImportFormatName | null = null;
  for (const [f, list] of groups) {
    for (const file of list) {
      if (JSON_FORMATS.has(f) && file.json === undefined && !streamed(f, file)) {
        file.json = parseJson(file.text, file.path);
      }
    }
    const r = PARSERS[f as Exclude<ImportFormatName, 'strata'>](list, opts);
    format ??= f;
    sessions.push(...r.sessions);
    notes.push(...r.notes);
    user ??= r.user;
  }
  if (ignored.length > 0) notes.push(`left out (not conversations): ${ignored.slice(0, 8).join(', ')}`);
  checkBounds(sessions, inputs[0]?.path ?? 'file');
  return { format: format as ImportFormatName, sessions: mergeSessions(sessions), user, notes, files };
}

/** Split exports (conversations-000.json, -001 …) can hold parts of one conversation: parts become one session. */
function mergeSessions(sessions: ParsedSession[]): ParsedSession[] {
  const byId = new Map<string, ParsedSession>();
  for (const s of sessions) {
    const old = byId.get(s.session.id);
    if (!old) byId.set(s.session.id, s);
    else old.messages.push(...s.messages);
  }
  const out = [...byId.values()];
  const ids = new Set<string>();
  out.forEach((s, si) => {
    s.messages.forEach((m, mi) => {
      if (ids.has(m.id)) throw refuse(`sessions[${si}].messages[${mi}].id`, `duplicate id "${m.id}"`);
      ids.add(m.id);
    });
  });
  return out;
}

function checkBounds(sessions: ParsedSession[], field: string): void {
  const messages = sessions.reduce((n, s) => n + s.messages.length, 0);
  if (sessions.length > IMPORT_LIMITS.sessions) {
    throw refuse(
      field,
      `holds ${sessions.length} conversations, over the limit of ${IMPORT_LIMITS.sessions} per import`,
    );
  }
  if (messages > IMPORT_LIMITS.messages) {
    throw refuse(
      field,
      `holds ${messages} messages, over the limit of ${IMPORT_LIMITS.messages} per import: split the file`,
    );
  }
}

export { boundedId };
