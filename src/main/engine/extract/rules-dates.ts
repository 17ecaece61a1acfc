/**
 * Dates in a clause: chrono's readings resolved against the message's own time and written at the precision the
 * speaker gave, and which reading (the past or the next occurrence) a clause's tense asks for.
 *
 * The year rule, for a day or month said without a year ("on 3 March", "in June"):
 * - a past-tense or perfect clause ("I started a job on 3 March") means the latest such date not after the
 *   message: said on 5 December 2023, that is 3 March 2023, never March 2024;
 * - a future clause ("I'll start on 3 March", "I'm starting on 3 March") means the next one on or after the
 *   message's day: said on 5 December 2023, 3 March 2024;
 * - any other clause takes the nearest one, before or after (chrono's reading).
 * A year the speaker gave, and a date anchored by its own words ("last Saturday", "next week"), are kept as said.
 */
import type * as chrono from 'chrono-node';
import { has, type Term } from './rules-terms';

export interface DateMention {
  start: number;
  end: number;
  /** Read as the nearest or past occurrence, and as the next one (for plans); none for "now", which is dropped. */
  past: chrono.ParsedResult | undefined;
  future: chrono.ParsedResult | undefined;
}

export interface ResolvedDate {
  phrase: string;
  validFrom: number;
}

export const DATE_PREPOSITIONS = new Set([
  'on',
  'in',
  'at',
  'during',
  'since',
  'until',
  'by',
  'before',
  'after',
  'from',
]);
// chrono reads these as instants, but in chat they mean "currently": the fact's own time already says
// that, so they are dropped rather than written as a date.
export const NOT_A_DATE = new Set(['now', 'right now']);
export const FACT_DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric' });
export const FACT_MONTH = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric' });
export function localStart(d: Date, unit: 'day' | 'month' | 'year'): number {
  if (unit === 'year') return new Date(d.getFullYear(), 0, 1).getTime();
  if (unit === 'month') return new Date(d.getFullYear(), d.getMonth(), 1).getTime();
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** An absolute phrase at the precision the speaker gave, keeping prepositions that change the meaning ("since"). */
export function resolveDate(
  result: chrono.ParsedResult,
  precedingPreposition: string | undefined,
  when: Date = result.start.date(),
): ResolvedDate {
  const spoken = result.text.toLowerCase();
  const firstWord = spoken.split(/\s+/)[0] ?? '';
  const given = precedingPreposition ?? (DATE_PREPOSITIONS.has(firstWord) ? firstWord : undefined);
  const keep = given && !['on', 'in', 'at', 'during'].includes(given) ? given : undefined;
  const d = when;
  const c = result.start;
  const dayKnown = c.isCertain('day') || c.isCertain('weekday') || c.isCertain('hour');
  let absolute: string;
  let prep: string;
  let validFrom: number;
  if (spoken.includes('weekend')) {
    // chrono may land on the Sunday; a weekend is named by its Saturday.
    const saturday = d.getDay() === 0 ? new Date(d.getFullYear(), d.getMonth(), d.getDate() - 1) : d;
    [absolute, prep, validFrom] = [`the weekend of ${FACT_DAY.format(saturday)}`, 'on', localStart(saturday, 'day')];
  } else if (spoken.includes('week')) {
    [absolute, prep, validFrom] = [`the week of ${FACT_DAY.format(d)}`, 'in', localStart(d, 'day')];
  } else if (!dayKnown && c.isCertain('month')) {
    [absolute, prep, validFrom] = [FACT_MONTH.format(d), 'in', localStart(d, 'month')];
  } else if (!dayKnown && c.isCertain('year')) {
    [absolute, prep, validFrom] = [String(d.getFullYear()), 'in', localStart(d, 'year')];
  } else {
    // Includes "this morning", where chrono is certain of nothing but the day is the message's own.
    [absolute, prep, validFrom] = [FACT_DAY.format(d), 'on', localStart(d, 'day')];
  }
  return { phrase: `${keep ?? prep} ${absolute}`, validFrom };
}

export type ClauseTense = 'past' | 'future' | 'present';

/** Moves a yearless day or month to the year the clause's tense asks for (the rule at the top of this file). */
export function placeYear(result: chrono.ParsedResult, messageTime: number, tense: ClauseTense): Date {
  const d = result.start.date();
  const c = result.start;
  const anchored = /\b(last|next|this|ago|yesterday|tomorrow|today|tonight|week|weekend)\b/i.test(result.text);
  if (tense === 'present' || anchored || c.isCertain('year') || !c.isCertain('month')) return d;
  const message = new Date(messageTime);
  const day = new Date(message.getFullYear(), message.getMonth(), message.getDate()).getTime();
  const out = new Date(d);
  const monthOnly = !c.isCertain('day');
  // A month is "not after" the message while it has started; a day while it has begun.
  const startOf = (x: Date) => (monthOnly ? new Date(x.getFullYear(), x.getMonth(), 1) : x).getTime();
  if (tense === 'past') while (startOf(out) > messageTime) out.setFullYear(out.getFullYear() - 1);
  else {
    const endOf = (x: Date) => (monthOnly ? new Date(x.getFullYear(), x.getMonth() + 1, 1).getTime() - 1 : x.getTime());
    while (endOf(out) < day) out.setFullYear(out.getFullYear() + 1);
  }
  return out;
}

export function clauseDate(
  clause: Term[],
  sentence: Term[],
  ctx: { dates: DateMention[]; msg: { timestamp: number } },
  tense: ClauseTense,
) {
  const start = clause[0]?.start ?? 0;
  const end = clause.at(-1)?.end ?? 0;
  const dateIds = new Set<string>();
  let resolved: ResolvedDate | undefined;
  for (const d of ctx.dates.filter((m) => m.start >= start && m.start < end)) {
    const covered = clause.filter((t) => t.end > d.start && t.start < d.end);
    // "in the last month": the article and preposition chrono left outside go with the date.
    let at = sentence.findIndex((t) => t.id === covered[0]?.id) - 1;
    if (sentence[at]?.word === 'the') covered.push(sentence[at--] as Term);
    const before = sentence[at];
    const prep = before && has(before, 'Preposition') && DATE_PREPOSITIONS.has(before.word) ? before : undefined;
    for (const t of covered) dateIds.add(t.id);
    if (prep && clause.includes(prep)) dateIds.add(prep.id);
    const result = tense === 'future' && d.future ? d.future : d.past;
    if (result) resolved ??= resolveDate(result, prep?.word, placeYear(result, ctx.msg.timestamp, tense));
  }
  return { resolved, dateIds };
}
