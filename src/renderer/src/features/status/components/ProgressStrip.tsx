/**
 * The compact progress strip under the nav, on every view: each running import (messages written, then episodes
 * and facts built) and a re-embed, with done/total, an ETA from the rate so far, and Cancel. Fed by engine events.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { ImportJob } from '../../../../../shared/app-types';
import type { ReembedJob } from '../../../../../shared/settings-schema';
import { api } from '../../../lib/api';
import { useStrataEvent } from '../../../lib/events';
import { ms, plural } from '../../../lib/format';
import { recordImport } from '../../timings/throughput';

/** Time left at the rate so far; null until there is a rate. */
export function eta(done: number, total: number, startedAt: number, now = Date.now()): number | null {
  if (done <= 0 || done >= total) return null;
  return ((now - startedAt) / done) * (total - done);
}

function Bar(props: {
  testid: string;
  label: string;
  done: number;
  total: number;
  startedAt: number;
  detail?: string;
  cancel?: () => void;
  cancelling?: boolean;
}) {
  const left = eta(props.done, props.total, props.startedAt);
  const pct = props.total > 0 ? Math.min(100, (props.done / props.total) * 100) : 0;
  return (
    <div className="strip-row" data-testid={props.testid} data-done={props.done} data-total={props.total}>
      <span className="strip-label">{props.label}</span>
      <progress value={props.done} max={Math.max(1, props.total)} aria-label={props.label} />
      <span className="strip-count">
        {props.done.toLocaleString()} / {props.total.toLocaleString()} ({pct.toFixed(0)} %)
        {left !== null && <> · about {ms(left)} left</>}
        {props.detail && <> · {props.detail}</>}
      </span>
      {props.cancel && (
        <button type="button" onClick={props.cancel} disabled={props.cancelling}>
          {props.cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
      )}
    </div>
  );
}

export function ProgressStrip() {
  const [imports, setImports] = useState<Record<string, ImportJob>>({});
  const initial = useQuery({ queryKey: ['reembed', 'status'], queryFn: () => api.reembedStatus(), retry: false });
  const [reembed, setReembed] = useState<ReembedJob | null | undefined>(undefined);
  useStrataEvent((e) => {
    if (e.type === 'import') {
      recordImport(e.job);
      setImports((m) => ({ ...m, [e.job.id]: e.job }));
    }
    if (e.type === 'reembed') setReembed(e.job);
  });
  const re = reembed === undefined ? initial.data : reembed;
  const running = Object.values(imports).filter((j) => j.state === 'running');
  const reRunning = re && (re.state === 'running' || re.state === 'cancelling');
  // Always there (empty when idle): the shell's grid keeps its rows, and the live region is in place to announce.
  return (
    <section
      className="strip"
      aria-label="Work in progress"
      aria-live="polite"
      data-testid="progress-strip"
      data-active={running.length > 0 || Boolean(reRunning)}
    >
      {running.map((j) => {
        const m0 = j.progress.m0;
        const writing = m0.done < m0.total;
        return (
          <Bar
            key={j.id}
            testid="strip-import"
            label={writing ? `Importing ${j.name}` : `Building episodes and facts for ${j.name}`}
            done={writing ? m0.done : j.progress.m2.done}
            total={writing ? m0.total : j.progress.m2.total}
            startedAt={j.startedAt}
            detail={writing ? plural(j.sessions, 'session') : `${j.progress.m1.done} with episodes`}
            cancel={() => void api.cancelImport(j.id)}
          />
        );
      })}
      {re && reRunning && (
        <Bar
          testid="strip-reembed"
          label={re.state === 'cancelling' ? `Going back to ${re.from}` : `Re-embedding with ${re.to}`}
          done={re.done}
          total={re.total}
          startedAt={re.startedAt}
          cancel={() => void api.cancelReembed().then((j) => j && setReembed(j))}
          cancelling={re.state === 'cancelling'}
        />
      )}
    </section>
  );
}
