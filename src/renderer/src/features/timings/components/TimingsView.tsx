/**
 * Timings: the live list of writes, the waterfall of the selected one, percentiles per stage and store over
 * recent writes, the throughput of the latest import over time (uPlot), and the profile action (one synthetic batch, sequential then parallel, side by side).
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Empty, ErrorBox } from '../../../components/ErrorBox';
import { useStrataEvent } from '../../../lib/events';
import { clock, ms } from '../../../lib/format';
import { timeSentence } from '../insight';
import { prependTrace, traceQueries, useProfile } from '../queries';
import { useImportRuns } from '../throughput';
import { Percentiles } from './Percentiles';
import { Throughput } from './Throughput';
import { Legend, Waterfall } from './Waterfall';

export function TimingsView() {
  const qc = useQueryClient();
  const traces = useQuery(traceQueries.recent());
  const [selected, setSelected] = useState<string | null>(null);
  const [rows, setRows] = useState(500);
  const profile = useProfile();
  const [run] = useImportRuns();
  useStrataEvent((e) => {
    if (e.type === 'trace') qc.setQueryData(traceQueries.recent().queryKey, (l) => prependTrace(l, e.trace));
  });
  const list = traces.data ?? [];
  const sentence = timeSentence(list.slice(0, 50));
  const current = list.find((t) => t.id === selected) ?? list[0];
  const index = current ? list.indexOf(current) : -1;

  const onKeyDown = (e: React.KeyboardEvent) => {
    const next = e.key === 'ArrowDown' ? index + 1 : e.key === 'ArrowUp' ? index - 1 : -1;
    const t = list[next];
    if (t) {
      e.preventDefault();
      setSelected(t.id);
    }
  };

  return (
    <section className="view timings" aria-label="Timings">
      <div className="toolbar">
        <label>
          Profile batch{' '}
          <input
            type="number"
            min={1}
            max={10000}
            value={rows}
            aria-label="Profile rows"
            onChange={(e) => setRows(Number(e.target.value))}
            style={{ width: 90 }}
          />{' '}
          chunks
        </label>
        <button type="button" onClick={() => profile.mutate(rows)} disabled={profile.isPending}>
          {profile.isPending ? 'Profiling…' : 'Profile: sequential vs parallel'}
        </button>
        <Legend />
      </div>
      {sentence && (
        <p className="insight" data-testid="time-insight">
          {sentence}
        </p>
      )}
      {run && (
        <div className="card" data-testid="import-throughput">
          <h3>
            Import throughput: {run.name} ({run.totals.m0.toLocaleString()} messages)
          </h3>
          <Throughput run={run} />
        </div>
      )}
      {profile.error && <ErrorBox error={profile.error} title="Profile" />}
      {profile.data && (
        <div className="card" data-testid="profile-result">
          <h3>
            {profile.data.rows} synthetic chunks: sequential {ms(profile.data.sequential.totalMs)}, parallel{' '}
            {ms(profile.data.parallel.totalMs)} — {profile.data.ratio.toFixed(2)}× (written, timed, then removed)
          </h3>
          <div className="side-by-side">
            {(['sequential', 'parallel'] as const).map((mode) => (
              <div key={mode}>
                <b>{mode}</b>
                <Waterfall
                  trace={profile.data[mode]}
                  scaleMs={Math.max(profile.data.sequential.totalMs, profile.data.parallel.totalMs)}
                  testId={`profile-${mode}`}
                />
              </div>
            ))}
          </div>
        </div>
      )}
      {traces.error && <ErrorBox error={traces.error} title="Traces" />}
      {list.length === 0 && !traces.isPending ? (
        <Empty>No writes yet. Import something, or run the profile.</Empty>
      ) : (
        <div className="split">
          <div className="traces" role="listbox" aria-label="Writes" tabIndex={0} onKeyDown={onKeyDown}>
            {list.map((t) => (
              <div
                key={t.id}
                role="option"
                aria-selected={t.id === current?.id}
                className="trace-row"
                data-testid="trace-row"
                data-kind={t.kind}
                tabIndex={-1}
                onClick={() => setSelected(t.id)}
                onKeyDown={onKeyDown}
              >
                <span>
                  <b>{t.kind}</b> <span className="muted">{t.mode}</span>
                </span>
                <span>{ms(t.totalMs)}</span>
                <span className="muted">
                  {clock(t.startedAt)} · {t.rows} rows · seq {t.seq}
                </span>
                <span className="muted">{t.spans.some((s) => s.status !== 'ok') ? '⚠ store failed' : ''}</span>
              </div>
            ))}
          </div>
          <div className="pane">
            {current && (
              <div className="card">
                <h3>
                  {current.kind} · {current.mode} · {ms(current.totalMs)} · {current.rows} rows
                </h3>
                <Waterfall trace={current} />
                {current.notes && <p className="muted">{current.notes.join(' · ')}</p>}
              </div>
            )}
            <div className="card">
              <h3>p50 / p95 / p99 per stage and store, over the last {list.length} writes</h3>
              <Percentiles traces={list} />
            </div>
          </div>
        </div>
      )}
    </section>
  );
}
