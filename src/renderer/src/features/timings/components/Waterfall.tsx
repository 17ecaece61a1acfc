/**
 * One write on a time axis: a bar per span (layer → stage → store), placed at its start and as long as it ran,
 * so parallel store writes show as overlapping bars. `scaleMs` lets two waterfalls share one axis.
 */
import type { Span, WriteTrace } from '../../../../../shared/types';
import { ms } from '../../../lib/format';

const W = 720;
const LABEL = 190;
const ROW = 20;
const TOP = 22;

export function spanLabel(s: Span): string {
  return [s.layer?.toUpperCase(), s.stage, s.store].filter(Boolean).join(' · ');
}

function barClass(s: Span): string {
  if (s.status !== 'ok') return 'bar-failed';
  if (s.store === 'vector' || s.store === 'keyword' || s.store === 'graph' || s.store === 'core')
    return `bar-${s.store}`;
  return 'bar-other';
}

export function Waterfall({ trace, scaleMs, testId }: { trace: WriteTrace; scaleMs?: number; testId?: string }) {
  const spans = [...trace.spans].sort((a, b) => a.start - b.start);
  const total = Math.max(scaleMs ?? 0, trace.totalMs, ...spans.map((s) => s.start + s.durationMs), 0.001);
  const x = (t: number) => LABEL + (t / total) * (W - LABEL - 10);
  const h = TOP + spans.length * ROW + 6;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * total);
  return (
    <svg
      className="waterfall"
      viewBox={`0 0 ${W} ${h}`}
      role="img"
      aria-label={`Waterfall of ${trace.kind}, ${ms(trace.totalMs)}`}
      data-testid={testId ?? 'waterfall'}
      data-trace={trace.id}
    >
      {ticks.map((t) => (
        <g key={t}>
          <line className="axis" x1={x(t)} x2={x(t)} y1={TOP - 6} y2={h} />
          <text className="tick" x={x(t)} y={12} textAnchor="middle">
            {ms(t)}
          </text>
        </g>
      ))}
      {spans.map((s, i) => {
        const y = TOP + i * ROW;
        const width = Math.max(1.5, x(s.start + s.durationMs) - x(s.start));
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: spans have no id; a trace's spans never change order.
          <g key={i}>
            <text x={4} y={y + 13}>
              {spanLabel(s)}
            </text>
            <rect
              className={barClass(s)}
              data-testid="span-bar"
              data-stage={s.stage}
              data-store={s.store ?? ''}
              data-start={s.start}
              data-end={s.start + s.durationMs}
              data-thread={s.threadId}
              x={x(s.start)}
              y={y + 3}
              width={width}
              height={ROW - 6}
              rx={2}
            >
              <title>
                {`${spanLabel(s)}: ${ms(s.durationMs)} from ${ms(s.start)}, ${s.rows} rows, thread ${s.threadId}` +
                  (s.queuedMs ? `, queued ${ms(s.queuedMs)}` : '') +
                  (s.error ? `, ${s.error.code}: ${s.error.message}` : '')}
              </title>
            </rect>
          </g>
        );
      })}
    </svg>
  );
}

export function Legend() {
  return (
    <div className="legend">
      {['core', 'vector', 'keyword', 'graph', 'other', 'failed'].map((k) => (
        <span key={k}>
          <i style={{ background: `var(--${k === 'failed' ? 'bad' : k})` }} />
          {k === 'other' ? 'validate / embed / extract' : k}
        </span>
      ))}
    </div>
  );
}
