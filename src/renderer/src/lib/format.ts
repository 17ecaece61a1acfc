/** Display helpers: times, durations, byte sizes, percentiles. */
export function ms(n: number): string {
  if (n >= 1000) return `${(n / 1000).toFixed(2)} s`;
  if (n >= 10) return `${n.toFixed(0)} ms`;
  return `${n.toFixed(2)} ms`;
}

export function bytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}

export function dateTime(epochMs: number | null | undefined): string {
  if (epochMs === null || epochMs === undefined) return '—';
  return new Date(epochMs).toLocaleString();
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;

/** Calendar parts of an instant, in local time or in UTC (the engine reads dates in query text as UTC days). */
interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  /** The instant of this calendar day's midnight, in the same time scale. */
  dayStart: number;
}

function parts(epochMs: number, utc: boolean): Parts {
  const t = new Date(epochMs);
  const p = utc
    ? { y: t.getUTCFullYear(), mo: t.getUTCMonth(), d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes() }
    : { y: t.getFullYear(), mo: t.getMonth(), d: t.getDate(), h: t.getHours(), mi: t.getMinutes() };
  const s = utc ? t.getUTCSeconds() : t.getSeconds();
  return { ...p, s, dayStart: utc ? Date.UTC(p.y, p.mo, p.d) : new Date(p.y, p.mo, p.d).getTime() };
}

function at(y: number, mo: number, d: number, utc: boolean): number {
  return utc ? Date.UTC(y, mo, d) : new Date(y, mo, d).getTime();
}

const isMidnight = (p: Parts) => p.h === 0 && p.mi === 0 && p.s === 0;
const dayText = (p: Parts) => `${p.d} ${MONTHS[p.mo]} ${p.y}`;

/**
 * A date as a person says it, at the precision it carries: the first of January at midnight is a year ("2022"),
 * the first of a month at midnight a month ("May 2023"), another midnight a day ("7 May 2023"); a time of day is
 * kept ("7 May 2023, 13:56"). Within a week of `now`, days are words ("today", "yesterday", "3 days ago").
 */
export function humanDate(epochMs: number | null | undefined, now: number = Date.now(), utc = false): string {
  if (epochMs === null || epochMs === undefined || !Number.isFinite(epochMs)) return '—';
  const p = parts(epochMs, utc);
  const midnight = isMidnight(p);
  if (midnight && p.d === 1 && p.mo === 0) return String(p.y);
  if (midnight && p.d === 1) return `${MONTHS[p.mo]} ${p.y}`;
  const days = Math.round((parts(now, utc).dayStart - p.dayStart) / DAY_MS);
  const time = midnight ? '' : `, ${String(p.h).padStart(2, '0')}:${String(p.mi).padStart(2, '0')}`;
  if (days === 0) return `today${time}`;
  if (days === 1) return `yesterday${time}`;
  if (days > 1 && days < 7) return `${days} days ago${time}`;
  return `${dayText(p)}${time}`;
}

/**
 * A time range `[from, to)` at the precision it spans: a whole year is "2022", a whole month "May 2023", a whole
 * day "7 May 2023", anything else "from – to".
 */
export function humanRange(from: number, to: number, now: number = Date.now(), utc = false): string {
  const a = parts(from, utc);
  if (isMidnight(a) && isMidnight(parts(to, utc))) {
    if (a.d === 1 && a.mo === 0 && to === at(a.y + 1, 0, 1, utc)) return String(a.y);
    if (a.d === 1 && to === at(a.y, a.mo + 1, 1, utc)) return `${MONTHS[a.mo]} ${a.y}`;
    if (to === at(a.y, a.mo, a.d + 1, utc)) return dayText(a);
    // A span of whole days: its last day is the one before `to`.
    return `${dayText(a)} – ${dayText(parts(to - 1, utc))}`;
  }
  return `${humanDate(from, now, utc)} – ${humanDate(to, now, utc)}`;
}

/** "1 session", "2 sessions". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

export function clock(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString();
}

/** Nearest-rank percentile of an unsorted list (p in 0..100). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
