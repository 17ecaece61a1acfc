/**
 * The query benchmarks' corpus (bench:query, bench:mcp): LoCoMo's questions, and chunks of two or three LoCoMo turns
 * recombined by a seeded generator, so every run and every benchmark asks the same questions of the same corpus.
 */
import { rng } from '../src/shared/rng';
import { loadLocomo } from '../test/support/locomo';

const convs = loadLocomo();
const turns = convs.flatMap((c) => c.sessions.flatMap((s) => s.messages.map((m) => `${m.speaker}: ${m.text}`)));

/** The first `n` LoCoMo questions, in the file's order. */
export function locomoQuestions(n: number): string[] {
  return convs.flatMap((c) => c.qa.map((q) => q.question)).slice(0, n);
}

/** `n` chunks, each two or three speaker-prefixed LoCoMo turns drawn with seed 7. */
export function recombinedTurns(n: number): string[] {
  const next = rng(7);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const parts = 2 + Math.floor(next() * 2);
    const picked: string[] = [];
    for (let p = 0; p < parts; p++) picked.push(turns[Math.floor(next() * turns.length)] as string);
    out.push(picked.join(' '));
  }
  return out;
}
