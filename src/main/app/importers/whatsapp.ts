/**
 * WhatsApp's "Export chat" text: Android `DD/MM/YYYY, HH:MM - Author: text`, US `M/D/YY, H:MM AM - …`, iOS
 * `[DD/MM/YYYY, HH:MM:SS] Author: text`, with `/ . -` separators, 2- or 4-digit years and invisible direction
 * marks. Lines without a date continue the message before them. Day/month order is inferred per file from any
 * number over 12 (else month first when the clock has AM/PM, day first otherwise) unless the user says which.
 * System lines (encryption notice, "X added Y") are skipped. A message has no id in the export: its id is a hash
 * of its time, author and text (and how many identical ones came before), the same in every later export.
 */
import { boundedId, messagesOf, participantsOf, plural, refuse, stableHash } from './common';
import type { ImporterOptions, ImporterResult, ImportFile, ParsedSession } from './types';

// U+200E/U+200F direction marks, U+202A–U+202E embeddings, U+2066–U+2069 isolates; U+202F/U+00A0 are spaces.
const MARKS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
const SPACES = /[\u202f\u00a0\u2007]/g;
const DATE = String.raw`(\d{1,4})[./-](\d{1,2})[./-](\d{1,4}),?\s+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*([AaPp]\.?\s?[Mm]\.?)?`;
const IOS = new RegExp(String.raw`^\[${DATE}\]\s*(.*)$`);
const ANDROID = new RegExp(String.raw`^${DATE}\s*[-–]\s(.*)$`);
const MEDIA =
  /^<?(media omitted|image omitted|video omitted|audio omitted|sticker omitted|gif omitted|document omitted)>?$/i;
const ATTACHED = /^<attached:\s*([^>]+)>$/i;

interface Line {
  n: number;
  a: number;
  b: number;
  c: number;
  h: number;
  min: number;
  s: number;
  ampm: string | null;
  rest: string;
  /** iOS marks system lines and attachments with a leading U+200E in the text. */
  marked: boolean;
}

function dateLine(raw: string, n: number): Line | null {
  const clean = raw.replace(SPACES, ' ');
  const stripped = clean.replace(MARKS, '');
  const m = IOS.exec(stripped) ?? ANDROID.exec(stripped);
  if (!m) return null;
  const rest = m[8] as string;
  const afterColon = clean.indexOf(': ');
  return {
    n,
    a: Number(m[1]),
    b: Number(m[2]),
    c: Number(m[3]),
    h: Number(m[4]),
    min: Number(m[5]),
    s: m[6] === undefined ? 0 : Number(m[6]),
    ampm: m[7] ? m[7].replace(/[.\s]/g, '').toLowerCase() : null,
    rest,
    marked: afterColon >= 0 && /^[\u200e\u200f]/.test(clean.slice(afterColon + 2)),
  };
}

export function isWhatsApp(text: string): boolean {
  const lines = text
    .split(/\r?\n/, 60)
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, 20);
  if (lines.length === 0) return false;
  const dated = lines.filter((l, i) => dateLine(l, i) !== null).length;
  return dated >= Math.max(1, Math.ceil(lines.length / 2));
}

/** Day first (D/M/Y), month first (M/D/Y) or year first (Y/M/D), from the whole file's dates. */
function order(lines: Line[], path: string, dayFirst: boolean | undefined): 'dmy' | 'mdy' | 'ymd' {
  if (lines.every((l) => l.a > 31)) return 'ymd';
  if (dayFirst !== undefined) return dayFirst ? 'dmy' : 'mdy';
  const dayOver = lines.find((l) => l.a > 12);
  const monthOver = lines.find((l) => l.b > 12);
  if (dayOver && monthOver) {
    throw refuse(
      `${path} line ${monthOver.n}`,
      `dates disagree on day/month order (line ${dayOver.n} starts with a day, line ${monthOver.n} with a month)`,
    );
  }
  if (dayOver) return 'dmy';
  if (monthOver) return 'mdy';
  return lines.some((l) => l.ampm !== null) ? 'mdy' : 'dmy';
}

function toTime(l: Line, o: 'dmy' | 'mdy' | 'ymd', path: string): number {
  const [y0, mo, d] = o === 'ymd' ? [l.a, l.b, l.c] : o === 'dmy' ? [l.c, l.b, l.a] : [l.c, l.a, l.b];
  const year = y0 < 100 ? 2000 + y0 : y0;
  let hour = l.h;
  if (l.ampm) hour = (hour % 12) + (l.ampm.startsWith('p') ? 12 : 0);
  const t = new Date(year, mo - 1, d, hour, l.min, l.s);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || hour > 23 || l.min > 59 || t.getDate() !== d) {
    throw refuse(`${path} line ${l.n}`, `not a date: day ${d}, month ${mo}, year ${year}`);
  }
  return t.getTime();
}

/** "WhatsApp Chat with Ann.txt", "WhatsApp Chat - Ann.txt" → Ann. */
function chatName(path: string): string | null {
  // iOS zips name the chat only in the archive's name (`WhatsApp Chat - Ann.zip/_chat.txt`).
  for (const part of path.split(/[\\/]/).reverse()) {
    const m = /^WhatsApp Chat(?: with | - )(.+?)(\.txt|\.zip)?$/i.exec(part);
    if (m) return (m[1] as string).trim();
  }
  return null;
}

export function parseWhatsApp(files: ImportFile[], opts: ImporterOptions): ImporterResult {
  const sessions: ParsedSession[] = [];
  let system = 0;
  let user: string | null = opts.user ?? null;
  for (const file of files) {
    const raw = file.text.split(/\r?\n/);
    const lines: Line[] = [];
    const bodies: string[][] = [];
    raw.forEach((text, i) => {
      const l = dateLine(text, i + 1);
      if (l) {
        lines.push(l);
        bodies.push([]);
      } else if (lines.length > 0) {
        (bodies[bodies.length - 1] as string[]).push(text.replace(MARKS, ''));
      } else if (text.trim()) {
        throw refuse(`${file.path} line ${i + 1}`, 'expected a WhatsApp message line (a date, a time, then the text)');
      }
    });
    if (lines.length === 0) throw refuse(file.path, 'holds no WhatsApp messages');
    const o = order(lines, file.path, opts.dayFirst);
    const other = chatName(file.path);
    const chatKey = other ?? file.path.split(/[\\/]/).pop() ?? file.path;
    const sessionId = boundedId(`whatsapp:${stableHash(chatKey)}`);
    const seen = new Map<string, number>();
    const msgs = lines.flatMap((l, i) => {
      const colon = l.rest.indexOf(': ');
      const first = colon > 0 ? l.rest.slice(colon + 2).trim() : '';
      // iOS marks both system lines and attachments with U+200E: an attachment is still a message.
      if (colon <= 0 || (l.marked && !ATTACHED.test(first) && !MEDIA.test(first))) {
        system++;
        return [];
      }
      const speaker = l.rest.slice(0, colon).trim().slice(0, 200);
      let text = [l.rest.slice(colon + 2), ...(bodies[i] as string[])].join('\n').trim();
      const media = ATTACHED.exec(text);
      if (media) text = `[attachment: ${(media[1] as string).trim()}]`;
      else if (MEDIA.test(text)) text = '[media omitted]';
      const timestamp = toTime(l, o, file.path);
      const key = stableHash(timestamp, speaker, text);
      const nth = (seen.get(key) ?? 0) + 1;
      seen.set(key, nth);
      return messagesOf(
        {
          id: boundedId(`${sessionId}:${key}${nth > 1 ? `:${nth}` : ''}`),
          role: 'user',
          speaker,
          text,
          timestamp,
        },
        `${file.path} line ${l.n}`,
      );
    });
    if (msgs.length === 0) continue;
    const speakers = participantsOf(msgs);
    // In a chat with one other person the exporter is the speaker who is not them.
    if (user === null && other && speakers.length === 2 && speakers.includes(other)) {
      user = speakers.find((s) => s !== other) ?? null;
    }
    sessions.push({
      session: {
        id: sessionId,
        title: other ? `WhatsApp: ${other}` : `WhatsApp: ${chatKey}`,
        participants: speakers,
        startedAt: msgs[0]?.timestamp as number,
        ...(user !== null && { userId: user }),
      },
      messages: msgs,
    });
  }
  const notes = system > 0 ? [`${plural(system, 'system line')} (encryption notice, joins, changes) skipped`] : [];
  if (user === null) notes.push('who is the user could not be inferred: name them to record it');
  return { sessions, user, notes };
}
