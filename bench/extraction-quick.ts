/**
 * npx tsx bench/extraction-quick.ts [--conversations conv-26,…] [--misses N] [--dump FILE]
 *
 * A fast loop for tuning the rules: the rule extractor in-process, one episode per session (no engine, no
 * segmentation, no supersedes), scored with the same functions as `bench:extraction`. Its figures are close to,
 * not the same as, the benchmark's; report the benchmark's. Dev conversations only unless asked.
 */
import { writeFileSync } from 'node:fs';
import { createRuleExtractor } from '../src/main/engine/extract/rules';
import { loadLocomo } from '../test/support/locomo';
import { type FactRow, loadLocomoGold, scoreFacts, tokenF1, tokens } from './extraction-score';
import { parseArgs } from './synthetic';

const args = parseArgs(process.argv.slice(2));
const WANT = args.get('conversations')?.split(',') ?? ['conv-26', 'conv-30', 'conv-41', 'conv-42', 'conv-43'];
const MISSES = Number(args.get('misses') ?? 0);
const DUMP = args.get('dump');

const gold = new Map(loadLocomoGold().map((g) => [g.sampleId, g]));
const extractor = createRuleExtractor();
let obs = 0;
let f1 = 0;
let at05 = 0;
let without = 0;
let facts = 0;
const dump: string[] = [];
for (const conv of loadLocomo().filter((c) => WANT.includes(c.sampleId))) {
  const g = gold.get(conv.sampleId);
  if (!g) continue;
  const rows: FactRow[] = [];
  const turnText = new Map<string, string>();
  for (const s of conv.sessions) {
    for (const m of s.messages) turnText.set(m.externalId as string, `${m.speaker}: ${m.text}`);
    const idOf = new Map(s.messages.map((m) => [m.id as string, m.externalId as string]));
    const x = await extractor.extract({
      episodeId: `${conv.sampleId}:${s.key}`,
      sessionId: `${conv.sampleId}:${s.key}`,
      messages: s.messages.map((m) => ({
        id: m.id as string,
        speaker: m.speaker as string,
        others: conv.speakers.filter((p) => p !== m.speaker),
        text: m.text,
        timestamp: m.timestamp as number,
      })),
    });
    for (const f of x.facts) rows.push({ text: f.text, turns: f.sourceMessageIds.map((id) => idOf.get(id) ?? id) });
  }
  const fig = scoreFacts(g.observations, rows, turnText);
  console.log(conv.sampleId, JSON.stringify(fig));
  obs += fig.observations;
  f1 += fig.mean_best_f1 * fig.observations;
  at05 += fig.share_at_05 * fig.observations;
  without += fig.share_without_fact * fig.observations;
  facts += fig.facts;
  const byTurn = new Map<string, string[]>();
  for (const r of rows) for (const t of r.turns) byTurn.set(t, [...(byTurn.get(t) ?? []), r.text]);
  for (const o of g.observations) {
    const cands = o.evidence.flatMap((e) => byTurn.get(e) ?? []);
    const ref = tokens(o.text);
    const best = Math.max(0, ...cands.map((c) => tokenF1(tokens(c), ref)));
    dump.push(
      [
        `${best.toFixed(2)} ${o.text}`,
        ...o.evidence.map((e) => `  turn ${e}: ${turnText.get(e)}`),
        ...cands.map((c) => `  fact: ${c}`),
      ].join('\n'),
    );
  }
}
console.log(
  `dev: mean F1 ${(f1 / obs).toFixed(3)}, at 0.5 ${((at05 / obs) * 100).toFixed(1)} %, without ${((without / obs) * 100).toFixed(1)} %, facts/obs ${(facts / obs).toFixed(2)}`,
);
if (MISSES > 0)
  console.log(
    dump
      .filter((d) => d.startsWith('0.00'))
      .slice(0, MISSES)
      .join('\n'),
  );
if (DUMP) writeFileSync(DUMP, dump.join('\n'));
