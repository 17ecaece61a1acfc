/**
 * Ingest: pick a file (a ChatGPT, Claude, WhatsApp or Telegram export as downloaded, its ZIP included; notes,
 * JSONL, LoCoMo) or paste a conversation. The format is detected from the content each time (a choice made for an
 * earlier file never sticks); a preview says what would be written (sessions, messages, dates, who the user is,
 * duplicates to skip, how long it should take) before anything is. Jobs show per-layer progress; a cancelled job
 * stops after its batch in flight and offers to remove what it wrote.
 */
import { useQuery } from '@tanstack/react-query';
import { useMemo, useRef, useState } from 'react';
import type { ImportInput } from '../../../../../shared/app-schema';
import {
  IMPORT_FORMAT_LABELS,
  type ImportFormat,
  type ImportJob,
  type ImportPreview,
} from '../../../../../shared/app-types';
import type { Layer } from '../../../../../shared/types';
import { Empty, ErrorBox } from '../../../components/ErrorBox';
import { humanDate, plural } from '../../../lib/format';
import { importQueries, useCancelImport, useImportPreview, useRemoveImport, useStartImport } from '../queries';

type ChosenFormat = '' | Exclude<ImportFormat, 'strata'>;

const FORMATS: { value: ChosenFormat; label: string }[] = [
  { value: '', label: 'Detect from the content' },
  ...(Object.keys(IMPORT_FORMAT_LABELS) as ImportFormat[])
    .filter((f): f is Exclude<ImportFormat, 'strata'> => f !== 'strata')
    .map((f) => ({ value: f, label: IMPORT_FORMAT_LABELS[f] })),
];

/** A picked file: its text, or its bytes as base64 when it is a ZIP. Never shown raw in the content box. */
interface PickedFile {
  name: string;
  size: number;
  content: string;
  encoding: 'utf8' | 'base64';
}

async function readPicked(file: File): Promise<PickedFile> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const zip = bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
  if (!zip) return { name: file.name, size: file.size, content: new TextDecoder().decode(bytes), encoding: 'utf8' };
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { name: file.name, size: file.size, content: btoa(binary), encoding: 'base64' };
}

const kib = (n: number) => (n < 1024 * 1024 ? `${(n / 1024).toFixed(0)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`);

function duration(ms: number): string {
  if (ms < 60_000) return `about ${Math.max(1, Math.round(ms / 1000))} s`;
  if (ms < 3_600_000) return `about ${Math.round(ms / 60_000)} min`;
  return `about ${(ms / 3_600_000).toFixed(1)} h`;
}

export function IngestView() {
  const fileInput = useRef<HTMLInputElement>(null);
  const [picked, setPicked] = useState<PickedFile | null>(null);
  const [pasted, setPasted] = useState('');
  const [name, setName] = useState('Pasted conversation');
  const [format, setFormat] = useState<ChosenFormat>('');
  const [samples, setSamples] = useState('');
  const [user, setUser] = useState('');
  const [reading, setReading] = useState<string | null>(null);
  const start = useStartImport();
  const jobs = useQuery(importQueries.jobs());
  const running = (jobs.data ?? []).some((j) => j.state === 'running');

  const input = useMemo((): ImportInput | null => {
    const content = picked ? picked.content : pasted;
    if (content.trim() === '') return null;
    const list = samples
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    return {
      name: (picked ? picked.name : name) || 'Import',
      content,
      ...(picked?.encoding === 'base64' && { encoding: 'base64' as const }),
      ...(format && { format }),
      ...(list.length > 0 && { samples: list }),
      ...(user.trim() && { user: user.trim() }),
    };
  }, [picked, pasted, name, format, samples, user]);
  const preview = useImportPreview(input);

  const clear = () => {
    setPicked(null);
    setPasted('');
    setName('Pasted conversation');
    setFormat('');
    setSamples('');
    setUser('');
    start.reset();
    if (fileInput.current) fileInput.current.value = '';
  };

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    // A new file starts from scratch: detection decides its format, not what was chosen for the last one.
    setFormat('');
    setSamples('');
    setUser('');
    setPasted('');
    start.reset();
    setReading(file.name);
    try {
      setPicked(await readPicked(file));
    } finally {
      setReading(null);
    }
  };

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (input && !running && !start.isPending) start.mutate(input);
  };

  const error = start.error ?? (preview.isError ? preview.error : null);

  return (
    <section className="view ingest" aria-label="Ingest">
      <form className="ingest-form" onSubmit={submit}>
        <label>
          File
          <input
            ref={fileInput}
            type="file"
            accept=".json,.jsonl,.txt,.md,.markdown,.zip,application/json,application/zip,text/plain,text/markdown"
            data-testid="import-file"
            onChange={(e) => void onFile(e.target.files?.[0])}
          />
        </label>
        {!picked && (
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} />
          </label>
        )}
        <label>
          Format
          <select aria-label="Format" value={format} onChange={(e) => setFormat(e.target.value as ChosenFormat)}>
            {FORMATS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          You are (optional)
          <input
            aria-label="You are"
            placeholder={preview.data?.user ?? 'the speaker who is you'}
            value={user}
            onChange={(e) => setUser(e.target.value)}
          />
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
        {picked ? (
          <p className="wide" data-testid="picked-file">
            <b>{picked.name}</b> <span className="muted">({kib(picked.size)})</span>
          </p>
        ) : (
          <label className="wide">
            Content
            <textarea
              aria-label="Content"
              rows={8}
              placeholder={'Paste a conversation: one "Speaker: text" per line, JSON, or a WhatsApp chat'}
              value={pasted}
              onChange={(e) => {
                setPasted(e.target.value);
                if (start.error) start.reset();
              }}
            />
          </label>
        )}
        <div className="actions">
          <button
            type="submit"
            disabled={!input || running || start.isPending || reading !== null}
            title={running ? 'An import is running: wait for it or cancel it' : undefined}
          >
            {start.isPending ? 'Checking…' : running ? 'Importing…' : 'Import'}
          </button>
          {(picked || pasted || format || samples || user || start.error) && (
            <button type="button" onClick={clear}>
              Clear
            </button>
          )}
          {reading && <span className="muted">Reading {reading}…</span>}
        </div>
        {error ? <ErrorBox error={error} title="Refused, nothing was written" /> : null}
      </form>
      {input && preview.data && !error && <PreviewCard preview={preview.data} stale={preview.isFetching} />}
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

function PreviewCard({ preview: p, stale }: { preview: ImportPreview; stale: boolean }) {
  const big = p.newMessages >= 5_000;
  return (
    <section className="job" data-testid="import-preview" aria-label="Import preview" aria-busy={stale}>
      <div className="job-head">
        <b data-testid="preview-format">{IMPORT_FORMAT_LABELS[p.format]}</b> ·{' '}
        <span data-testid="preview-counts">
          {plural(p.sessions, 'session')}, {plural(p.messages, 'message')}
        </span>
        {p.from !== null && p.to !== null && (
          <span className="muted">
            {' '}
            · {humanDate(p.from)} – {humanDate(p.to)}
          </span>
        )}
      </div>
      <div data-testid="preview-user">
        You: <b>{p.user ?? 'not known'}</b>
        {p.user === null && <span className="muted"> (name yourself above, so facts say who said what)</span>}
        {p.speakers.length > 0 && (
          <span className="muted">
            {' '}
            · speakers: {p.speakers.map((s) => `${s.speaker} (${s.messages.toLocaleString('en')})`).join(', ')}
          </span>
        )}
      </div>
      <div data-testid="preview-new" data-new={p.newMessages} data-duplicates={p.duplicates}>
        {p.newMessages === 0 ? (
          <b>Nothing new: all {plural(p.messages, 'message')} are already stored.</b>
        ) : (
          <>
            Will write {plural(p.newMessages, 'message')} ({plural(p.newSessions, 'new session')})
            {p.duplicates > 0 && `; ${plural(p.duplicates, 'duplicate')} already stored will be skipped`}
            {p.estimateMs !== null && p.estimateMs > 0 && <> · {duration(p.estimateMs)}</>}
            {p.estimateMs === null && big && <> · a large import: it will take a while</>}
          </>
        )}
      </div>
      {p.notes.length > 0 && (
        <ul className="muted">
          {p.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {p.sample.length > 0 && (
        <details>
          <summary>First sessions</summary>
          <ul>
            {p.sample.map((s) => (
              <li key={s.title}>
                <b>{s.title}</b> <span className="muted">({plural(s.messages, 'message')})</span> — {s.first}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

function JobRow({ job }: { job: ImportJob }) {
  const cancel = useCancelImport();
  const remove = useRemoveImport();
  const stopped = job.finishedAt !== null;
  const stateText =
    job.state === 'cancelled' && !stopped
      ? 'cancelling after the batch in flight…'
      : job.removed
        ? `${job.state}, removed`
        : job.state;
  return (
    <li className="job" data-testid="import-job" data-state={job.state} data-removed={job.removed ? 'true' : 'false'}>
      <div className="job-head">
        <b>{job.name}</b> <span className="muted">{IMPORT_FORMAT_LABELS[job.format] ?? job.format}</span> ·{' '}
        {plural(job.sessions, 'session')} · {plural(job.messages, 'message')}
        {job.duplicates > 0 && <span className="muted"> · {plural(job.duplicates, 'duplicate')} skipped</span>} ·{' '}
        <span className={`state state-${job.state}`}>{stateText}</span>
        {job.state === 'running' && (
          <button type="button" onClick={() => cancel.mutate(job.id)} disabled={cancel.isPending}>
            Cancel
          </button>
        )}
        {(job.state === 'cancelled' || job.state === 'failed') &&
          stopped &&
          !job.removed &&
          job.progress.m0.done > 0 && (
            <button type="button" onClick={() => remove.mutate(job.id)} disabled={remove.isPending}>
              {remove.isPending ? 'Removing…' : `Remove the ${plural(job.progress.m0.done, 'message')} it wrote`}
            </button>
          )}
      </div>
      {job.messages === 0 && job.duplicates > 0 && (
        <div className="muted">Nothing new: every message was already stored.</div>
      )}
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
              {p.done.toLocaleString('en')} / {plural(p.total, layer === 'm0' ? 'message' : 'session')}
            </span>
          </div>
        );
      })}
      {job.error && <ErrorBox error={job.error} title="Import failed" />}
      {cancel.error && <ErrorBox error={cancel.error} title="Cancel" />}
      {remove.error && <ErrorBox error={remove.error} title="Remove" />}
      {remove.data && (
        <div className="muted" data-testid="import-removed">
          Removed {plural(remove.data.messages, 'message')} and {plural(remove.data.items, 'derived item')}.
        </div>
      )}
    </li>
  );
}
