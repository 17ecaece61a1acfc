/**
 * LoCoMo JSON (Maharana et al. 2024): conversations `{sample_id, conversation: {speaker_a, speaker_b, session_N,
 * session_N_date_time}}`; one session per LoCoMo session, ids `conv-26:D1:3` from the dataset's own turn ids.
 */
import { isObject, messagesOf, refuse } from './common';
import type { ImporterOptions, ImporterResult, ImportFile, ParsedSession } from './types';

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** "1:56 pm on 8 May, 2023" → epoch ms (local time), or null. */
export function parseLocomoDate(s: string): number | null {
  const m = /(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})/i.exec(s);
  if (!m) return null;
  const [, hh, mm, ap, day, month, year] = m as unknown as [string, string, string, string, string, string, string];
  const monthIndex = MONTHS.indexOf(month.toLowerCase());
  if (monthIndex < 0) return null;
  const hour = (Number(hh) % 12) + (ap.toLowerCase() === 'pm' ? 12 : 0);
  return new Date(Number(year), monthIndex, Number(day), hour, Number(mm)).getTime();
}

export function isLocomo(json: unknown): boolean {
  const first = Array.isArray(json) ? json[0] : json;
  return isObject(first) && isObject(first.conversation);
}

export function parseLocomo(files: ImportFile[], opts: ImporterOptions): ImporterResult {
  const out: ParsedSession[] = [];
  let kept = 0;
  for (const file of files) {
    const raw = file.json;
    const list = Array.isArray(raw) ? raw : [raw];
    list.forEach((c: unknown, ci) => {
      const f = Array.isArray(raw) ? `file[${ci}]` : 'file';
      if (!isObject(c)) throw refuse(f, 'expected a LoCoMo conversation object');
      const { sample_id: sampleId, conversation: conv } = c;
      if (typeof sampleId !== 'string' || sampleId.length === 0) throw refuse(`${f}.sample_id`, 'required');
      if (!isObject(conv)) throw refuse(`${f}.conversation`, 'expected an object');
      if (opts.samples && !opts.samples.includes(sampleId)) return;
      kept++;
      const speakers = [conv.speaker_a, conv.speaker_b].filter((s): s is string => typeof s === 'string');
      let found = 0;
      for (let n = 1; conv[`session_${n}`] !== undefined; n++) {
        const key = `session_${n}`;
        const turns = conv[key];
        const sf = `${f}.conversation.${key}`;
        if (!Array.isArray(turns)) throw refuse(sf, 'expected an array of turns');
        const when = conv[`${key}_date_time`];
        const startedAt = typeof when === 'string' ? parseLocomoDate(when) : null;
        if (startedAt === null) throw refuse(`${sf}_date_time`, `not a LoCoMo date: ${JSON.stringify(when)}`);
        found++;
        if (turns.length === 0) continue;
        const messages = turns.flatMap((t: unknown, i) => {
          const tf = `${sf}[${i}]`;
          const turn = isObject(t) ? t : {};
          if (typeof turn.dia_id !== 'string' || turn.dia_id.length === 0) throw refuse(`${tf}.dia_id`, 'required');
          if (typeof turn.speaker !== 'string') throw refuse(`${tf}.speaker`, 'required');
          if (typeof turn.text !== 'string') throw refuse(`${tf}.text`, 'required');
          const caption = typeof turn.blip_caption === 'string' && turn.blip_caption ? turn.blip_caption : null;
          return messagesOf(
            {
              id: `${sampleId}:${turn.dia_id}`,
              role: 'user',
              speaker: turn.speaker,
              text: caption ? `${turn.text} [shares an image: ${caption}]` : turn.text,
              // Turns carry no clock of their own: a minute apart from the session's start.
              timestamp: startedAt + i * 60_000,
              externalId: turn.dia_id,
            },
            tf,
          );
        });
        out.push({
          session: { id: `${sampleId}:${key}`, title: `${sampleId} session ${n}`, participants: speakers, startedAt },
          messages,
        });
      }
      if (found === 0) throw refuse(`${f}.conversation`, 'has no session_1');
    });
  }
  if (opts.samples && kept === 0) throw refuse('samples', `none of ${opts.samples.join(', ')} is in the file`);
  return { sessions: out, user: opts.user ?? null, notes: [] };
}
