/**
 * An M1 episode's title and summary, from its chunks' text ("Speaker: words" lines). Pure functions: m1.ts
 * calls them for every span it cuts.
 *
 * The title is the span's topic as noun phrases ("LGBTQ support group, counseling and painting"), never a
 * pronoun, a filler noun or a list of who spoke. The summary reads as one: the span's most central statements
 * (questions and greetings left out), in order, in the third person ("Caroline went to …", not "I went to …"),
 * about one sentence for every three turns, at most four.
 */
import nlp from 'compromise';

export interface EpisodeLine {
  speaker: string;
  text: string;
}

// Nouns that say nothing about a topic.
const FILLER = new Set([
  'thing',
  'things',
  'time',
  'times',
  'lot',
  'lots',
  'way',
  'day',
  'days',
  'something',
  'anything',
  'everything',
  'nothing',
  'one',
  'ones',
  'bit',
  'kind',
  'stuff',
  'people',
  'guy',
  'guys',
  'hey',
  'wow',
  'thanks',
  'thank',
  'bye',
  'yeah',
  'image',
  'photo',
  'picture',
  'pic',
  'week',
  'weekend',
  'today',
  'yesterday',
  'tomorrow',
  'year',
  'years',
  'month',
  'while',
  'chat',
  'talk',
  'moment',
  'sense',
  'idea',
  'part',
  'glad',
  'sure',
  'awesome',
  'fun',
]);
const DATE_WORDS = new Set(
  'last next ago new old other others monday tuesday wednesday thursday friday saturday sunday morning evening night tonight january february march april may june july august september october november december'.split(
    ' ',
  ),
);
const WORD_STOP = new Set(
  'a an the and or but so to of in on at for with about from by is are was were be been am i you we he she it they me my your our their his her its this that these those what how why when where who do does did have has had just really very too also not no yes oh hey hi wow lol haha thanks thank ok okay can could would should will going get got like know think'.split(
    ' ',
  ),
);

/** "Speaker: words" lines of a span's chunks; a line without a speaker belongs to the one before. */
export function episodeLines(chunkTexts: readonly string[], fallbackSpeaker = ''): EpisodeLine[] {
  const lines: EpisodeLine[] = [];
  for (const text of chunkTexts) {
    for (const raw of text.split('\n')) {
      const m = /^([^:\n]{1,60}):\s*(.*)$/.exec(raw);
      if (m) lines.push({ speaker: (m[1] as string).trim(), text: (m[2] as string).trim() });
      else if (lines.length > 0) (lines.at(-1) as EpisodeLine).text += ` ${raw.trim()}`;
      else if (raw.trim()) lines.push({ speaker: fallbackSpeaker, text: raw.trim() });
    }
  }
  return lines.filter((l) => l.text.length > 0);
}

const words = (s: string): string[] =>
  (s.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []).map((w) => w.replace(/'s$/, ''));

/** The topic as up to three noun phrases, most talked-about first, written as a phrase ("A, b and c"). */
export function episodeTitle(lines: readonly EpisodeLine[], participants: readonly string[]): string {
  const names = new Set(participants.flatMap((p) => words(p)));
  const body = lines.map((l) => l.text.replace(/\[shares an image:[^\]]*\]/g, '')).join('\n');
  const counts = new Map<string, { n: number; shown: string }>();
  const nouns = nlp(body).nouns().toSingular().out('array') as string[];
  for (const noun of nouns) {
    // compromise joins coordinated nouns ("faith and strength"): each is a topic of its own.
    for (const part of noun.split(/\s+(?:and|or|&)\s+|[,;:]\s*/)) {
      const ws = words(part.replace(/[^\p{L}\p{N} '&+-]/gu, ' '));
      // Dates, fillers, pronouns and the speakers' names are trimmed off the ends ("support group yesterday").
      const weak = (w: string) => FILLER.has(w) || WORD_STOP.has(w) || DATE_WORDS.has(w) || names.has(w) || /'/.test(w);
      while (ws.length > 0 && weak(ws[0] as string)) ws.shift();
      while (ws.length > 0 && weak(ws.at(-1) as string)) ws.pop();
      if (ws.length === 0 || ws.length > 4 || ws.some((w) => weak(w) && w !== 'of')) continue;
      const key = ws.join(' ');
      if (key.length < 3) continue;
      counts.set(key, { n: (counts.get(key)?.n ?? 0) + 1, shown: key });
    }
  }
  // A longer phrase that recurs says more than a bare head noun ("support group" over "group").
  const ranked = [...counts.entries()]
    .map(([key, v]) => ({ key, shown: v.shown, score: v.n * (1 + 0.5 * (key.split(' ').length - 1)) }))
    .sort((a, b) => b.score - a.score || a.key.localeCompare(b.key));
  const picked: string[] = [];
  for (const r of ranked) {
    if (picked.length === 3) break;
    if (picked.some((p) => p.includes(r.key) || r.key.includes(p))) continue;
    // The head noun counted, its fullest form shown: "support group" said three times, once as "LGBTQ support group".
    const fuller = ranked.filter((o) => o.key.endsWith(` ${r.key}`)).sort((a, b) => b.key.length - a.key.length)[0];
    picked.push(fuller?.key ?? r.key);
  }
  if (picked.length === 0) return 'Small talk';
  const shown = picked.map((k) => restoreCase(k, body));
  const phrase = shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
  return (phrase as string).charAt(0).toUpperCase() + (phrase as string).slice(1);
}

/** Writes a phrase with the capitals the speakers gave it mid-sentence ("lgbtq support group" -> "LGBTQ support group"). */
function restoreCase(key: string, body: string): string {
  return key
    .split(' ')
    .map((w) => {
      const re = new RegExp(`(?<![\\p{L}])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}])`, 'giu');
      for (const m of body.matchAll(re)) {
        const before = body.slice(Math.max(0, (m.index ?? 0) - 3), m.index ?? 0);
        if ((m.index ?? 0) > 0 && !/[.!?\n]\s*$/.test(before)) return m[0];
      }
      return w;
    })
    .join(' ');
}

/** A first- or second-person sentence told in the third person, with the speakers' names. */
export function thirdPerson(sentence: string, speaker: string, listener: string | undefined): string {
  const own = speaker.endsWith('s') ? `${speaker}'` : `${speaker}'s`;
  let s = sentence
    .replace(/\bI'm\b/g, `${speaker} is`)
    .replace(/\bI've\b/g, `${speaker} has`)
    .replace(/\bI'll\b/g, `${speaker} will`)
    .replace(/\bI'd\b/g, `${speaker} would`)
    .replace(/\bI am\b/g, `${speaker} is`)
    .replace(/\bI was\b/g, `${speaker} was`)
    .replace(/\bI have\b/g, `${speaker} has`)
    .replace(/\bI\b/g, speaker)
    .replace(/\b[Mm]y\b/g, own)
    .replace(/\b[Mm]yself\b/g, speaker)
    .replace(/\b[Mm]e\b/g, speaker);
  if (listener) {
    const theirs = listener.endsWith('s') ? `${listener}'` : `${listener}'s`;
    s = s
      .replace(/\b[Yy]ou're\b/g, `${listener} is`)
      .replace(/\b[Yy]ou've\b/g, `${listener} has`)
      .replace(/\b[Yy]our\b/g, theirs)
      .replace(/\b[Yy]ou\b/g, listener);
  }
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * The span's most central statements: each sentence scored by how many of the span's recurring content words it
 * holds (a sentence about what the span is about shares its words), questions, greetings and image captions out.
 */
export function episodeSummary(lines: readonly EpisodeLine[], participants: readonly string[]): string {
  const sentences: { at: number; speaker: string; text: string; ws: string[] }[] = [];
  for (const l of lines) {
    const clean = l.text.replace(/\[shares an image:[^\]]*\]/g, '').trim();
    for (const piece of clean.match(/[^.!?]+[.!?]*/g) ?? []) {
      const text = piece.trim();
      if (text.endsWith('?')) continue;
      const ws = words(text).filter((w) => !WORD_STOP.has(w) && w.length > 2);
      if (ws.length < 3) continue;
      sentences.push({ at: sentences.length, speaker: l.speaker, text, ws });
    }
  }
  if (sentences.length === 0) {
    const first = lines[0];
    return first
      ? thirdPerson(
          first.text,
          first.speaker,
          participants.find((p) => p !== first.speaker),
        )
      : '';
  }
  const df = new Map<string, number>();
  for (const s of sentences) for (const w of new Set(s.ws)) df.set(w, (df.get(w) ?? 0) + 1);
  const score = (s: (typeof sentences)[number]) =>
    [...new Set(s.ws)].reduce((a, w) => a + ((df.get(w) ?? 1) - 1), 0) / Math.sqrt(s.ws.length) +
    s.ws.length / 20 +
    // The span's opening statement usually says what it is about.
    (s.at === 0 ? 1 : 0);
  const want = Math.max(1, Math.min(4, Math.round(lines.length / 3)));
  const chosen = [...sentences]
    .sort((a, b) => score(b) - score(a) || a.at - b.at)
    .slice(0, want)
    .sort((a, b) => a.at - b.at);
  return chosen
    .map((s) => {
      const t = thirdPerson(
        s.text,
        s.speaker,
        participants.find((p) => p !== s.speaker),
      );
      return /[.!]$/.test(t) ? t.replace(/!+$/, '.') : `${t}.`;
    })
    .join(' ');
}
