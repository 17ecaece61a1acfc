/**
 * Settings: the embedder (switching re-embeds, after a confirmation with the count and a rough time), the LLM
 * endpoint (off by default; Test connection shows a typed result), the data folder, the theme, and Export / Backup
 * (written into the data folder unless another folder is given; browser mode also offers the file as a download).
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type {
  LlmTestResult,
  ReembedPlan,
  SettingsEmbedder,
  Theme,
  SettingsView as View,
  WrittenFile,
} from '../../../../../shared/settings-schema';
import { THEMES } from '../../../../../shared/settings-schema';
import { ErrorBox } from '../../../components/ErrorBox';
import { api, transport } from '../../../lib/api';
import { useInvalidateOnWrites } from '../../../lib/events';
import { bytes, ms, plural } from '../../../lib/format';
import { downloadFile, settingsQueries, useSaveSettings } from '../queries';
import { applyTheme } from '../theme';

export function SettingsView() {
  const view = useQuery({ ...settingsQueries.view(), refetchInterval: 5_000 });
  // A re-embed's progress and end, and writes, change what the embedder section shows.
  useInvalidateOnWrites([settingsQueries.all]);
  if (view.error) return <ErrorBox error={view.error} title="Settings" />;
  if (!view.data) return <div className="loading">Loading settings…</div>;
  const v = view.data;
  return (
    <section className="view settings" aria-label="Settings">
      <h1>Settings</h1>
      {v.problem && (
        <div className="error" role="alert" data-testid="settings-problem">
          <code className="error-code">{v.problem.code}</code> {v.problem.message}. Defaults are in use; saving replaces
          the file.
        </div>
      )}
      <EmbedderSection v={v} />
      <LlmSection v={v} />
      <DataSection v={v} />
      <ThemeSection v={v} />
      <ExportSection v={v} />
    </section>
  );
}

function EmbedderSection({ v }: { v: View }) {
  const [plan, setPlan] = useState<ReembedPlan | null>(null);
  const ask = useMutation({ mutationFn: (to: SettingsEmbedder) => api.reembedPlan({ to }), onSuccess: setPlan });
  const start = useMutation({
    mutationFn: (to: SettingsEmbedder) => api.startReembed({ to }),
    onSuccess: () => setPlan(null),
  });
  const busy = v.reembed?.state === 'running' || v.reembed?.state === 'cancelling';
  return (
    <fieldset className="settings-group" data-testid="settings-embedder">
      <legend>Embedder</legend>
      <p>
        In use: <b data-testid="embedder-id">{v.embedder.id}</b> · {v.embedder.dim} dimensions ·{' '}
        <span data-testid="embedder-vectors">{plural(v.embedder.vectors, 'vector')}</span> stored
      </p>
      <label>
        Switch to{' '}
        <select
          aria-label="Embedder"
          value=""
          disabled={busy || ask.isPending}
          onChange={(e) => e.target.value && ask.mutate(e.target.value as SettingsEmbedder)}
        >
          <option value="">choose…</option>
          {v.embedders
            .filter((k) => k !== v.embedder.kind)
            .map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
        </select>
      </label>
      {ask.error && <ErrorBox error={ask.error} />}
      {plan && (
        <div className="confirm" role="alertdialog" aria-label="Confirm re-embed" data-testid="reembed-confirm">
          <p>
            Switching to <b>{plan.to}</b> re-embeds <b>{plural(plan.vectors, 'vector')}</b>
            {plan.estimateMs !== null && <> (roughly {ms(plan.estimateMs)})</>}. Search waits until it is done; progress
            shows at the top of every view.
          </p>
          <div className="actions">
            <button type="button" className="primary" onClick={() => start.mutate(plan.to)} disabled={start.isPending}>
              Re-embed {plural(plan.vectors, 'vector')}
            </button>
            <button type="button" onClick={() => setPlan(null)}>
              Keep {v.embedder.kind}
            </button>
          </div>
        </div>
      )}
      {start.error && <ErrorBox error={start.error} />}
      {v.reembed && !busy && (
        <p className={v.reembed.state === 'done' ? 'good' : 'warn'} data-testid="reembed-result">
          {v.reembed.state === 'done'
            ? `Re-embedded ${plural(v.reembed.total, 'vector')} with ${v.reembed.to}.`
            : v.reembed.state === 'cancelled'
              ? `Cancelled: back on ${v.reembed.from}.`
              : `Re-embed failed (${v.reembed.error?.code}): ${v.reembed.error?.message}`}
        </p>
      )}
    </fieldset>
  );
}

function LlmSection({ v }: { v: View }) {
  const save = useSaveSettings();
  const [url, setUrl] = useState(v.settings.llm.url);
  const [model, setModel] = useState(v.settings.llm.model);
  const [key, setKey] = useState('');
  const [result, setResult] = useState<LlmTestResult | null>(null);
  const test = useMutation({
    mutationFn: () => api.testLlm({ url, ...(model && { model }), ...(key && { apiKey: key }) }),
    onSuccess: setResult,
  });
  return (
    <fieldset className="settings-group" data-testid="settings-llm">
      <legend>LLM endpoint</legend>
      <p className="muted">
        Optional: an OpenAI-compatible server (Ollama, llama.cpp, vLLM or a hosted one) extracts facts instead of the
        built-in rules. Off by default; nothing leaves this computer unless you turn it on.
      </p>
      <label className="check">
        <input
          type="checkbox"
          checked={v.settings.llm.enabled}
          onChange={(e) => save.mutate({ llm: { enabled: e.target.checked } })}
        />{' '}
        Use it for extraction (from the next start)
      </label>
      <div className="settings-fields">
        <label>
          URL
          <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="http://127.0.0.1:11434/v1" />
        </label>
        <label>
          Model
          <input value={model} onChange={(e) => setModel(e.target.value)} placeholder="llama3.1" />
        </label>
        <label>
          API key
          <input
            type="password"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder={v.settings.llm.apiKeySet ? 'saved (type to replace)' : 'none'}
          />
        </label>
      </div>
      <div className="actions">
        <button
          type="button"
          onClick={() =>
            save.mutate({ llm: { url, model, ...(key && { apiKey: key }) } }, { onSuccess: () => setKey('') })
          }
        >
          Save
        </button>
        <button type="button" onClick={() => test.mutate()} disabled={!url || test.isPending}>
          {test.isPending ? 'Testing…' : 'Test connection'}
        </button>
        {v.settings.llm.apiKeySet && (
          <button type="button" onClick={() => save.mutate({ llm: { apiKey: '' } })}>
            Forget the key
          </button>
        )}
      </div>
      {save.error && <ErrorBox error={save.error} />}
      {test.error && <ErrorBox error={test.error} />}
      {result && (
        <p className={result.ok ? 'good' : 'bad'} data-testid="llm-test" data-code={result.ok ? 'OK' : result.code}>
          {result.ok ? (
            <>
              Connected in {ms(result.ms)}: {plural(result.models.length, 'model')}
              {result.models.length > 0 && ` (${result.models.slice(0, 8).join(', ')})`}
              {result.modelFound === false && ` — “${model}” is not among them`}
            </>
          ) : (
            <>
              <code className="error-code">{result.code}</code> {result.message}
            </>
          )}
        </p>
      )}
    </fieldset>
  );
}

function DataSection({ v }: { v: View }) {
  const open = useMutation({ mutationFn: () => api.openDataFolder() });
  const [copied, setCopied] = useState(false);
  return (
    <fieldset className="settings-group" data-testid="settings-data">
      <legend>Data folder</legend>
      <p>
        <code data-testid="data-dir">{v.dataDir}</code>
      </p>
      <div className="actions">
        {v.canOpenFolder && (
          <button type="button" onClick={() => open.mutate()}>
            Open in file manager
          </button>
        )}
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard?.writeText(v.dataDir).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? 'Copied' : 'Copy path'}
        </button>
      </div>
      {open.error && <ErrorBox error={open.error} />}
      <p className="muted small">Settings are kept in {v.file}.</p>
    </fieldset>
  );
}

function ThemeSection({ v }: { v: View }) {
  const save = useSaveSettings();
  // Shown at once; the file follows (the save answers the new view).
  const [theme, setTheme] = useState<Theme>(v.settings.theme);
  useEffect(() => setTheme(v.settings.theme), [v.settings.theme]);
  const set = (next: Theme) => {
    setTheme(next);
    applyTheme(next);
    save.mutate({ theme: next });
  };
  return (
    <fieldset className="settings-group" data-testid="settings-theme">
      <legend>Theme</legend>
      <div className="segmented" role="radiogroup" aria-label="Theme">
        {THEMES.map((t) => (
          <label key={t}>
            <input type="radio" name="theme" value={t} checked={theme === t} onChange={() => set(t)} />{' '}
            {t === 'system' ? 'System' : t === 'light' ? 'Light' : 'Dark'}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function Written({ files }: { files: WrittenFile[] }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <ul className="written" data-testid="written">
      {files.map((f) => (
        <li key={f.path}>
          <code>{f.path}</code> · {bytes(f.bytes)}
          {transport === 'http' && f.download && (
            <>
              {' '}
              <button
                type="button"
                className="link"
                onClick={() => void downloadFile(f.download ?? '').catch((e: Error) => setError(e.message))}
              >
                Download
              </button>
            </>
          )}
        </li>
      ))}
      {error && <li className="bad">{error}</li>}
    </ul>
  );
}

function ExportSection({ v }: { v: View }) {
  const [exportDir, setExportDir] = useState(v.settings.exportDir ?? '');
  const [backupDir, setBackupDir] = useState(v.settings.backupDir ?? '');
  const exp = useMutation({ mutationFn: () => api.exportData(exportDir ? { dir: exportDir } : undefined) });
  const backup = useMutation({ mutationFn: () => api.backupData(backupDir ? { dir: backupDir } : undefined) });
  return (
    <fieldset className="settings-group" data-testid="settings-export">
      <legend>Export and backup</legend>
      <p className="muted">
        Export writes everything as JSON Lines (re-importable) and Markdown (to read). A backup is one file of every
        database, made safely while Strata runs; restore it with <code>strata restore FILE</code>.
      </p>
      <div className="settings-fields">
        <label>
          Export folder
          <input
            value={exportDir}
            onChange={(e) => setExportDir(e.target.value)}
            placeholder={`${v.dataDir}/exports`}
          />
        </label>
        <button type="button" onClick={() => exp.mutate()} disabled={exp.isPending}>
          {exp.isPending ? 'Exporting…' : 'Export'}
        </button>
      </div>
      {exp.error && <ErrorBox error={exp.error} />}
      {exp.data && <Written files={exp.data} />}
      <div className="settings-fields">
        <label>
          Backup folder
          <input
            value={backupDir}
            onChange={(e) => setBackupDir(e.target.value)}
            placeholder={`${v.dataDir}/backups`}
          />
        </label>
        <button type="button" onClick={() => backup.mutate()} disabled={backup.isPending}>
          {backup.isPending ? 'Backing up…' : 'Back up'}
        </button>
      </div>
      {backup.error && <ErrorBox error={backup.error} />}
      {backup.data && <Written files={[backup.data]} />}
    </fieldset>
  );
}
