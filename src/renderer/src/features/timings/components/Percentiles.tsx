/** p50 / p95 / p99 of each stage and store over the recent writes, as horizontal bars on one axis. */
import { isProfileTrace } from '../../../../../shared/app-types';
import type { WriteTrace } from '../../../../../shared/types';
import { ms, percentile } from '../../../lib/format';

const W = 720;
const LABEL = 190;
const ROW = 34;

export function Percentiles({ traces }: { traces: WriteTrace[] }) {
  const groups = new Map<string, number[]>();
  // The profile's synthetic batches are not the user's writes.
  for (const t of traces.filter((x) => !isProfileTrace(x))) {
    for (const s of t.spans) {
      if (s.status !== 'ok') continue;
      const key = [s.stage, s.store].filter(Boolean).join(' · ');
      const list = groups.get(key) ?? [];
      list.push(s.durationMs);
      groups.set(key, list);
    }
  }
  const rows = [...groups].map(([key, v]) => ({
    key,
    n: v.length,
    p50: percentile(v, 50),
    p95: percentile(v, 95),
    p99: percentile(v, 99),
  }));
  rows.sort((a, b) => b.p50 - a.p50);
  if (rows.length === 0) return null;
  const max = Math.max(...rows.map((r) => r.p99), 0.001);
  const x = (v: number) => (v / max) * (W - LABEL - 80);
  return (
    <svg
      className="waterfall"
      viewBox={`0 0 ${W} ${rows.length * ROW + 8}`}
      role="img"
      aria-label="Percentiles per stage and store"
      data-testid="percentiles"
    >
      {rows.map((r, i) => {
        const y = i * ROW + 4;
        return (
          <g key={r.key}>
            <text x={4} y={y + 12}>
              {r.key}
            </text>
            <text x={4} y={y + 26} className="tick">
              {r.n} spans
            </text>
            <rect x={LABEL} y={y} width={Math.max(1, x(r.p99))} height={8} className="bar-other" opacity={0.45}>
              <title>p99 {ms(r.p99)}</title>
            </rect>
            <rect x={LABEL} y={y + 10} width={Math.max(1, x(r.p95))} height={8} className="bar-keyword">
              <title>p95 {ms(r.p95)}</title>
            </rect>
            <rect x={LABEL} y={y + 20} width={Math.max(1, x(r.p50))} height={8} className="bar-vector">
              <title>p50 {ms(r.p50)}</title>
            </rect>
            <text x={LABEL + x(r.p99) + 6} y={y + 18} className="tick">
              {`${ms(r.p50)} / ${ms(r.p95)} / ${ms(r.p99)}`}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
