/**
 * The import throughput chart (uPlot): messages written per second (left axis) and each layer's progress in
 * percent (right axis) against seconds since the import started, with axes, ticks, a hover tooltip (uPlot's
 * legend shows the values under the cursor) and resizing with its container. The legend names each colour.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { columns, type Run } from '../throughput';

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export function Throughput({ run }: { run: Run }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // The chart is made once per run (its id); the latest samples are read from here, then follow through setData.
  const latest = useRef(run);
  latest.current = run;
  const runId = run.id;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = {
      stroke: cssVar('--muted'),
      grid: { stroke: cssVar('--line'), width: 1 },
      ticks: { stroke: cssVar('--line') },
    };
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: 220,
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] }, pct: { range: [0, 100] } },
      axes: [
        { ...axis, label: 'seconds since the import started' },
        { ...axis, label: 'messages / s', size: 60 },
        { ...axis, scale: 'pct', side: 1, label: '% built', size: 50, grid: { show: false } },
      ],
      series: [
        { label: 's', value: (_u, v) => (v == null ? '—' : `${v.toFixed(1)} s`) },
        {
          label: 'messages written / s',
          stroke: cssVar('--accent'),
          width: 2,
          value: (_u, v) => (v == null ? '—' : v.toFixed(0)),
        },
        {
          label: 'M0 messages %',
          stroke: cssVar('--m0'),
          scale: 'pct',
          dash: [4, 3],
          value: (_u, v) => (v == null ? '—' : `${v.toFixed(0)} %`),
        },
        {
          label: 'M1 episodes %',
          stroke: cssVar('--m1'),
          scale: 'pct',
          value: (_u, v) => (v == null ? '—' : `${v.toFixed(0)} %`),
        },
        {
          label: 'M2 facts %',
          stroke: cssVar('--m2'),
          scale: 'pct',
          value: (_u, v) => (v == null ? '—' : `${v.toFixed(0)} %`),
        },
      ],
    };
    const u = new uPlot(opts, columns(latest.current) as uPlot.AlignedData, el);
    el.dataset.run = runId;
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(300, el.clientWidth), height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [runId]);

  useEffect(() => {
    plot.current?.setData(columns(run) as uPlot.AlignedData);
  }, [run]);

  return <div ref={box} className="throughput" data-testid="throughput-chart" data-samples={run.samples.length} />;
}
