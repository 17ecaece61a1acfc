/**
 * Scoring M1 and M2 against LoCoMo's own gold annotations (observations with evidence turns, session summaries,
 * event summaries): the figures of issue 16, shared by `bench:extraction` and the LoCoMo quality test. Pure
 * functions over plain rows; the gold is read from ../shared, never copied.
 */
import { readFileSync } from 'node:fs';
import { STOP_WORDS } from '../src/main/engine/text';
import { LOCOMO_PATH } from '../test/support/locomo';

export interface GoldObservation {
  speaker: string;
  session: number;
  text: string;
  /** Evidence turns ("D1:3"). */
  evidence: string[];
}

export interface LocomoGold {
  sampleId: string;
  observations: GoldObservation[];
  /** Session number → the gold session summary. */
  sessionSummaries: Map<number, string>;
  /** Observations, session and event summaries in one text: where a real name shows up capitalised. */
  goldText: string;
}

/** The gold of every conversation in the file, in file order. */
export function loadLocomoGold(path = LOCOMO_PATH): LocomoGold[] {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as {
    sample_id: string;
    observation: Record<string, Record<string, [string, string | string[]][]>>;
    session_summary: Record<string, string>;
    event_summary: Record<string, Record<string, string[] | string>>;
  }[];
  return raw.map((c) => {
    const observations: GoldObservation[] = [];
    for (const [key, bySpeaker] of Object.entries(c.observation)) {
      const session = Number(/session_(\d+)/.exec(key)?.[1] ?? 0);
      for (const [speaker, list] of Object.entries(bySpeaker)) {
        for (const [text, ev] of list) {
          // Most evidence is one id; a few are lists or "D4:17, D4:19".
          const evidence = (Array.isArray(ev) ? ev : [ev])
            .flatMap((e) => String(e).split(/[;,\s]+/))
            .filter((e) => /^D\d+:\d+$/.test(e));
          observations.push({ speaker, session, text, evidence });
        }
      }
    }
    const sessionSummaries = new Map<number, string>();
    for (const [key, text] of Object.entries(c.session_summary)) {
      sessionSummaries.set(Number(/session_(\d+)/.exec(key)?.[1] ?? 0), text);
    }
    const events = Object.values(c.event_summary).flatMap((e) =>
      Object.entries(e)
        .filter(([k]) => k !== 'date')
        .flatMap(([, v]) => (Array.isArray(v) ? v : [])),
    );
    const goldText = [...observations.map((o) => o.text), ...sessionSummaries.values(), ...events].join('\n');
    return { sampleId: c.sample_id, observations, sessionSummaries, goldText };
  });
}

/** Lower-case word tokens; with `content`, stop words dropped (the token-F1 of issue 16). */
export function tokens(text: string, content = true): string[] {
  const words = text
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/'s\b/g, '')
    .match(/[\p{L}\p{N}]+/gu);
  if (!words) return [];
  return content ? words.filter((w) => !STOP_WORDS.has(w)) : words;
}

/** SQuAD-style token F1 over multisets. */
export function tokenF1(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const w of b) counts.set(w, (counts.get(w) ?? 0) + 1);
  let common = 0;
  for (const w of a) {
    const n = counts.get(w) ?? 0;
    if (n > 0) {
      common++;
      counts.set(w, n - 1);
    }
  }
  if (common === 0) return 0;
  const p = common / a.length;
  const r = common / b.length;
  return (2 * p * r) / (p + r);
}

/** ROUGE-L F1 (longest common subsequence of tokens, beta = 1). */
export function rougeL(candidate: string[], reference: string[]): number {
  if (candidate.length === 0 || reference.length === 0) return 0;
  let prev = new Array<number>(reference.length + 1).fill(0);
  for (const c of candidate) {
    const row = new Array<number>(reference.length + 1).fill(0);
    for (let j = 1; j <= reference.length; j++) {
      row[j] = c === reference[j - 1] ? (prev[j - 1] as number) + 1 : Math.max(prev[j] as number, row[j - 1] as number);
    }
    prev = row;
  }
  const lcs = prev[reference.length] as number;
  if (lcs === 0) return 0;
  const p = lcs / candidate.length;
  const r = lcs / reference.length;
  return (2 * p * r) / (p + r);
}

export interface FactRow {
  text: string;
  /** Evidence ids ("D1:3") of the messages the fact came from. */
  turns: string[];
}

export interface FactFigures {
  observations: number;
  facts: number;
  mean_best_f1: number;
  share_at_05: number;
  share_without_fact: number;
  facts_per_observation: number;
  /** Facts derived from an observation's evidence turns, on average (how many a reader sees per gold fact). */
  facts_from_evidence_per_observation: number;
  baseline_turn_mean_f1: number;
  baseline_turn_share_at_05: number;
}

/**
 * For each gold observation, the best token F1 between it and any fact derived from one of its evidence turns,
 * beside the baseline of taking the evidence turn itself as the fact.
 */
export function scoreFacts(gold: GoldObservation[], facts: FactRow[], turnText: Map<string, string>): FactFigures {
  const byTurn = new Map<string, string[][]>();
  for (const f of facts) {
    const t = tokens(f.text);
    for (const turn of new Set(f.turns)) {
      const list = byTurn.get(turn) ?? [];
      list.push(t);
      byTurn.set(turn, list);
    }
  }
  let sum = 0;
  let at05 = 0;
  let without = 0;
  let fromEvidence = 0;
  let baseSum = 0;
  let baseAt05 = 0;
  for (const o of gold) {
    const ref = tokens(o.text);
    const candidates = o.evidence.flatMap((e) => byTurn.get(e) ?? []);
    fromEvidence += candidates.length;
    if (candidates.length === 0) without++;
    const best = Math.max(0, ...candidates.map((c) => tokenF1(c, ref)));
    sum += best;
    if (best >= 0.5) at05++;
    const base = Math.max(0, ...o.evidence.map((e) => tokenF1(tokens(turnText.get(e) ?? ''), ref)));
    baseSum += base;
    if (base >= 0.5) baseAt05++;
  }
  const n = Math.max(1, gold.length);
  return {
    observations: gold.length,
    facts: facts.length,
    mean_best_f1: round(sum / n),
    share_at_05: round(at05 / n),
    share_without_fact: round(without / n),
    facts_per_observation: round(facts.length / n),
    facts_from_evidence_per_observation: round(fromEvidence / n),
    baseline_turn_mean_f1: round(baseSum / n),
    baseline_turn_share_at_05: round(baseAt05 / n),
  };
}

export interface EntityRow {
  name: string;
  aliases: string[];
}

export interface EntityFigures {
  entities: number;
  named: number;
  named_share: number;
  /** A sample of entities the gold never names, for reading. */
  unnamed_sample: string[];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * An entity is "named in the gold" when its name or an alias occurs in the gold text as whole words, written with
 * a capital, somewhere other than the start of a sentence (where any common noun is capitalised).
 */
export function isNamedInGold(entity: EntityRow, goldText: string): boolean {
  return [entity.name, ...entity.aliases].some((form) => {
    const words = form.trim().split(/\s+/);
    if (words.length === 0 || words[0] === '') return false;
    const pattern = words.map((w) => escapeRegExp(w.charAt(0).toUpperCase() + w.slice(1))).join('\\s+');
    const re = new RegExp(`(?<![\\p{L}\\p{N}])${pattern}(?![\\p{L}\\p{N}])`, 'gu');
    for (const m of goldText.matchAll(re)) {
      const before = goldText.slice(Math.max(0, (m.index ?? 0) - 3), m.index ?? 0);
      if ((m.index ?? 0) > 0 && !/[.!?\n]\s*$/.test(before)) return true;
    }
    return false;
  });
}

export function scoreEntities(entities: EntityRow[], goldText: string): EntityFigures {
  const unnamed: string[] = [];
  let named = 0;
  for (const e of entities) {
    if (isNamedInGold(e, goldText)) named++;
    else unnamed.push(e.name);
  }
  return {
    entities: entities.length,
    named,
    named_share: round(named / Math.max(1, entities.length)),
    unnamed_sample: unnamed.slice(0, 25),
  };
}

export interface SummaryFigures {
  sessions: number;
  rouge_l: number;
  token_f1: number;
  baseline_rouge_l: number;
  baseline_token_f1: number;
  /** Words in the episodes' summaries of a session, on average; the baseline takes as many. */
  summary_words: number;
}

/**
 * A session's episode summaries, joined in order, against its gold summary; the baseline is the session's first
 * sentences ("Speaker: text", in order) up to the same number of words, so length does not decide.
 */
export function scoreSummaries(
  sessions: { session: number; summaries: string[]; turns: { speaker: string; text: string }[] }[],
  gold: Map<number, string>,
): SummaryFigures {
  let r = 0;
  let f = 0;
  let br = 0;
  let bf = 0;
  let words = 0;
  let n = 0;
  for (const s of sessions) {
    const ref = gold.get(s.session);
    if (!ref) continue;
    n++;
    const ours = s.summaries.join(' ');
    const oursWords = tokens(ours, false).length;
    words += oursWords;
    const sentences = s.turns.flatMap((t) =>
      (t.text.match(/[^.!?]+[.!?]*/g) ?? []).map((x) => `${t.speaker}: ${x.trim()}`),
    );
    const lead: string[] = [];
    let count = 0;
    for (const sentence of sentences) {
      if (count >= oursWords) break;
      lead.push(sentence);
      count += tokens(sentence, false).length;
    }
    const baseline = lead.join(' ');
    r += rougeL(tokens(ours, false), tokens(ref, false));
    f += tokenF1(tokens(ours), tokens(ref));
    br += rougeL(tokens(baseline, false), tokens(ref, false));
    bf += tokenF1(tokens(baseline), tokens(ref));
  }
  const d = Math.max(1, n);
  return {
    sessions: n,
    rouge_l: round(r / d),
    token_f1: round(f / d),
    baseline_rouge_l: round(br / d),
    baseline_token_f1: round(bf / d),
    summary_words: Math.round(words / d),
  };
}

export const round = (x: number, d = 3): number => Number(x.toFixed(d));
