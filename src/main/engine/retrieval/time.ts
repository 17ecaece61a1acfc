/**
 * Dates in a query ("in May 2023", "last week", "on 8 May 2023", "in 2022"),
 * read by chrono-node against a reference date and widened to the span they name:
 * a day, a week, a month or a year (UTC). Several dates give the span covering all.
 */
import * as chrono from 'chrono-node';

export interface QueryTime {
  /** The words that named it. */
  text: string;
  /** Epoch milliseconds, `to` exclusive. */
  from: number;
  to: number;
}

const DAY = 86_400_000;

function span(c: chrono.ParsedComponents, text: string): { from: number; to: number } | null {
  const d = c.date();
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (c.isCertain('day')) {
    const start = Date.UTC(y, m, d.getUTCDate());
    // "last week", "two weeks ago": the seven days around the date chrono lands on.
    if (/\bweeks?\b/i.test(text)) return { from: start - 3 * DAY, to: start + 4 * DAY };
    return { from: start, to: start + DAY };
  }
  if (c.isCertain('month')) return { from: Date.UTC(y, m, 1), to: Date.UTC(y, m + 1, 1) };
  if (c.isCertain('year')) return { from: Date.UTC(y, 0, 1), to: Date.UTC(y + 1, 0, 1) };
  return null; // a weekday or a clock time alone says too little about when
}

export function parseQueryTime(text: string, now: number): QueryTime | null {
  const found: QueryTime[] = [];
  for (const r of chrono.parse(text, new Date(now))) {
    const s = span(r.start, r.text);
    if (!s) continue;
    const e = r.end ? span(r.end, r.text) : null;
    found.push({ text: r.text, from: s.from, to: e ? Math.max(s.to, e.to) : s.to });
  }
  // chrono leaves a bare year alone ("in 2022"); read one after a preposition as that whole year.
  if (found.length === 0) {
    for (const m of text.matchAll(/\b(?:in|during|since|of|by|from)\s+((?:19|20)\d{2})\b/gi)) {
      const y = Number(m[1]);
      found.push({ text: m[0], from: Date.UTC(y, 0, 1), to: Date.UTC(y + 1, 0, 1) });
    }
  }
  if (found.length === 0) return null;
  return {
    text: found.map((f) => f.text).join(', '),
    from: Math.min(...found.map((f) => f.from)),
    to: Math.max(...found.map((f) => f.to)),
  };
}
