/**
 * Ingest: paste a conversation or pick a file (LoCoMo JSON, a JSON array of messages, plain text). The engine
 * checks the whole input before writing anything; a refused file shows why, with its code. Jobs show per-layer
 * progress and can be cancelled.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ImportFormat, ImportJob } from '../../../../../shared/app-types';
import type { Layer } from '../../../../../shared/types';
import { Empty, ErrorBox } from '../../../components/ErrorBox';
import { useStrataEvent } from '../../../lib/events';
import { importQueries, upsertJob, useCancelImport, useStartImport } from '../queries';

const FORMATS: { value: '' | ImportFormat; label: string }[] = [
  { value: '', label: 'Detect' },
  { value: 'locomo', label: 'LoCoMo JSON' },
  { value: 'messages', label: 'JSON array of messages' },
  { value: 'text', label: 'Plain text (Speaker: line)' },
];

export function IngestView() {
  const qc = useQueryClient();
  const [content, setContent] = useState('');
  const [name, setName] = useState('Pasted conversation');
  const [format, setFormat] = useState<'' | ImportFormat>('');
  const [samples, setSamples] = useState('');
  const start = useStartImport();
  const jobs = useQuery(importQueries.jobs());
  useStrataEvent((e) => {
    if (e.type === 'import') qc.setQueryData(importQueries.jobs().queryKey, (l) => upsertJob(l, e.job));
  });

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    setContent(await file.text());
    setName(file.name);
    if (file.name.endsWith('.txt')) setFormat('text');
  };

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const list = samples
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    start.mutate({
      name: name || 'Import',
      content,
      ...(format && format !== 'strata' && { format }),
      ...(list.length > 0 && { samples: list }),
    });
  };

  return (
    <section className="view ingest" aria-label="Ingest">
      <form className="ingest-form" onSubmit={submit}>
        <label>
          File
          <input
            type="file"
            accept=".json,.txt,application/json,text/plain"
            data-testid="import-file"
            onChange={(e) => void onFile(e.target.files?.[0])}
          />
        </label>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Format
          <select aria-label="Format" value={format} onChange={(e) => setFormat(e.target.value as '' | ImportFormat)}>
            {FORMATS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          LoCoMo conversations (optional)
          <input
            placeholder="conv-26, conv-30"
            aria-label="LoCoMo conversations"
            value={samples}
            onChange={(e) => setSamples(e.target.value)}
          />
        </label>
        <label className="wide">
          Content
          <textarea
            aria-label="Content"
            rows={10}
            placeholder={'Paste a conversation, one "Speaker: text" per line, or JSON'}
            value={
              content.length > 200_000
                ? `${content.slice(0, 200_000)}\n… (${content.length.toLocaleString()} characters)`
                : content
            }
            readOnly={content.length > 200_000}
            onChange={(e) => setContent(e.target.value)}
          />
        </label>
        <div className="actions">
          <button type="submit" disabled={start.isPending || content.trim() === ''}>
            {start.isPending ? 'Checking…' : 'Import'}
          </button>
          {content && (
            <button type="button" onClick={() => setContent('')}>
              Clear
            </button>
          )}
        </div>
        {start.error && <ErrorBox error={start.error} title="Refused, nothing was written" />}
      </form>
      <h2>Imports</h2>
      {jobs.data && jobs.data.length > 0 ? (
        <ul className="jobs">
          {jobs.data.map((j) => (
            <JobRow key={j.id} job={j} />
          ))}
        </ul>
      ) : (
        <Empty>No imports yet from this window.</Empty>
      )}
    </section>
  );
}

function JobRow({ job }: { job: ImportJob }) {
  const cancel = useCancelImport();
  return (
    <li className="job" data-testid="import-job" data-state={job.state}>
      <div className="job-head">
        <b>{job.name}</b> <span className="muted">{job.format}</span> · {job.sessions} sessions ·{' '}
        {job.messages.toLocaleString()} messages ·{' '}
        <span className={`state state-${job.state}`}>
          {job.state === 'cancelled' && job.finishedAt === null ? 'cancelling…' : job.state}
        </span>
        {job.state === 'running' && (
          <button type="button" onClick={() => cancel.mutate(job.id)} disabled={cancel.isPending}>
            Cancel
          </button>
        )}
      </div>
      {(['m0', 'm1', 'm2'] as Layer[]).map((layer) => {
        const p = job.progress[layer];
        return (
          <div className="progress-row" key={layer}>
            <span className="progress-label">{layer.toUpperCase()}</span>
            <progress
              max={Math.max(1, p.total)}
              value={p.done}
              data-testid={`progress-${layer}`}
              aria-label={`${layer.toUpperCase()} progress`}
              data-done={p.done}
              data-total={p.total}
            />
            <span className="muted">
              {p.done.toLocaleString()} / {p.total.toLocaleString()} {layer === 'm0' ? 'messages' : 'sessions'}
            </span>
          </div>
        );
      })}
      {job.error && <ErrorBox error={job.error} title="Import failed" />}
      {cancel.error && <ErrorBox error={cancel.error} title="Cancel" />}
    </li>
  );
}
