/**
 * Why a result matched, in words a person reads at a glance ("keyword: support group · near in meaning · from
 * 8 May 2023"), and what each source's raw score means (which way is better). Shared by the Query view and the
 * palette.
 */
import type { QueryHit, QuerySource } from '../../../shared/types';
import { humanDate } from './format';

/** Short words that never explain a keyword match. */
const QUIET = new Set(
  'a an the and or but of to in on at for with by from is are was were be been am i you he she it we they me my your his her its our their this that these those do does did have has had not no so if as what when where who whom which why how about'.split(
    ' ',
  ),
);

const words = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];

/** The query's words that the hit's text contains (the keyword source's reason, as FTS5 saw it, near enough). */
export function matchedWords(query: string, text: string): string[] {
  const have = new Set(words(text).map(stem));
  const out: string[] = [];
  for (const w of words(query)) {
    if (QUIET.has(w) || out.includes(w)) continue;
    if (have.has(stem(w))) out.push(w);
  }
  return out;
}

/** A light suffix strip, so "groups" matches "group" as FTS5's porter stemmer would. */
function stem(w: string): string {
  return w.replace(/(?:'s|ies|es|s|ing|ed)$/u, '') || w;
}

export interface Reason {
  source: QuerySource | 'neighbour';
  text: string;
}

/** The reasons, strongest source first. */
export function reasons(hit: QueryHit, query: string): Reason[] {
  const out: (Reason & { c: number })[] = [];
  const k = hit.sources.keyword;
  if (k) {
    const m = matchedWords(query, hit.text);
    out.push({
      source: 'keyword',
      text: m.length > 0 ? `keyword: ${m.join(' ')}` : 'keyword match',
      c: k.contribution,
    });
  }
  const v = hit.sources.vector;
  if (v) out.push({ source: 'vector', text: 'near in meaning', c: v.contribution });
  const g = hit.sources.graph;
  if (g)
    out.push({
      source: 'graph',
      text: `linked to a named entity (${g.raw} hop${g.raw === 1 ? '' : 's'})`,
      c: g.contribution,
    });
  const t = hit.sources.time;
  if (t) out.push({ source: 'time', text: 'in the dates asked for', c: t.contribution });
  if (hit.neighbour)
    out.push({ source: 'neighbour', text: 'next to a message that matched', c: hit.neighbour.contribution });
  out.sort((a, b) => b.c - a.c);
  const list: Reason[] = out.map(({ source, text }, i) => ({ source, text: i === 0 ? text : `also ${text}` }));
  if (hit.validFrom !== null) list.push({ source: 'time', text: `from ${humanDate(hit.validFrom)}` });
  return list;
}

/** What a source's raw score is, and which way is better. */
export const RAW_MEANING: Record<QuerySource, string> = {
  vector: 'cosine distance (lower is nearer)',
  keyword: 'bm25 (more negative is a better match)',
  graph: 'hops from an entity in the query (fewer is closer)',
  time: 'in the query’s dates',
};

/** Why a search-as-you-type hit matched: the words it holds, the word being typed as a start, its date. */
export function suggestReasons(hit: { matched: string[]; prefix: string | null; validFrom: number | null }): string {
  const parts = [...hit.matched, ...(hit.prefix ? [`${hit.prefix}…`] : [])];
  const out = [parts.length > 0 ? `keyword: ${parts.join(' ')}` : 'keyword match'];
  if (hit.validFrom !== null) out.push(`from ${humanDate(hit.validFrom)}`);
  return out.join(' · ');
}
