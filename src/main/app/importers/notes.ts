/**
 * Markdown or plain notes: one session per file, one message per section (a heading starts a section; a file
 * without headings is split at blank-line paragraphs only when it is over the message bound). A note's date is
 * a `YYYY-MM-DD` in its name, else the file's modification time, else now.
 */
import { boundedId, messagesOf, stableHash } from './common';
import type { ImporterOptions, ImporterResult, ImportFile, ParsedSession } from './types';

const HEADING = /^#{1,6}\s+\S/;

function dateOf(file: ImportFile): number {
  const m = /(\d{4})-(\d{2})-(\d{2})/.exec(file.path);
  if (m) {
    const t = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime();
    if (!Number.isNaN(t)) return t;
  }
  return file.modifiedAt ?? Date.now();
}

export function isMarkdown(file: ImportFile): boolean {
  return /\.(md|markdown)$/i.test(file.path) || HEADING.test(file.text.trimStart());
}

export function parseNotes(files: ImportFile[], opts: ImporterOptions): ImporterResult {
  const user = opts.user ?? 'me';
  const sessions: ParsedSession[] = [];
  for (const file of files) {
    const text = file.text.charCodeAt(0) === 0xfeff ? file.text.slice(1) : file.text;
    const sections: { line: number; text: string[] }[] = [];
    text.split(/\r?\n/).forEach((line, i) => {
      if (HEADING.test(line) || sections.length === 0) sections.push({ line: i + 1, text: [] });
      (sections[sections.length - 1] as { text: string[] }).text.push(line);
    });
    const base = file.path.split(/[\\/]/).pop() ?? file.path;
    const h1 = /^#\s+(.+)$/m.exec(text);
    const sessionId = boundedId(`notes:${stableHash(file.path)}`);
    const at = dateOf(file);
    const seen = new Map<string, number>();
    const messages = sections.flatMap((s, i) => {
      const body = s.text.join('\n').trim();
      const key = stableHash(body);
      const nth = (seen.get(key) ?? 0) + 1;
      seen.set(key, nth);
      return messagesOf(
        {
          id: boundedId(`${sessionId}:${key}${nth > 1 ? `:${nth}` : ''}`),
          role: 'user',
          speaker: user,
          text: body,
          // Sections keep their order: a second apart from the note's date.
          timestamp: at + i * 1000,
        },
        `${file.path} line ${s.line}`,
      );
    });
    if (messages.length === 0) continue;
    sessions.push({
      session: {
        id: sessionId,
        title: (h1 ? (h1[1] as string).trim() : base.replace(/\.(md|markdown|txt)$/i, '')).slice(0, 500),
        participants: [user],
        startedAt: at,
        userId: user,
      },
      messages,
    });
  }
  return { sessions, user, notes: [] };
}
