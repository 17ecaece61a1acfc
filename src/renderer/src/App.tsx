/**
 * The app shell: views as tabs (one tab stop, arrow keys between them; Alt+1…6 by physical key), the command
 * palette (Ctrl/Cmd+K or `/`), Settings (also Ctrl/Cmd+,), the item detail panel, the progress strip of running
 * imports and re-embeds (every view), and the status bar. Browser mode without its key shows how to
 * get in, not an empty store.
 */
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { IngestView } from './features/ingest/components/IngestView';
import { useImportJobsSync } from './features/ingest/queries';
import { ItemDetail } from './features/layers/components/ItemDetail';
import { LayersView } from './features/layers/components/LayersView';
import { countQueries, itemQueries } from './features/layers/queries';
import { FirstRun } from './features/onboarding/components/FirstRun';
import { Palette, type PaletteCommand } from './features/palette/components/Palette';
import { QueryView } from './features/query/components/QueryView';
import { useThemeFromSettings } from './features/settings/queries';
import { ProgressStrip } from './features/status/components/ProgressStrip';
import { StatusBar } from './features/status/components/StatusBar';
import { api, toApiError } from './lib/api';
import { DetailProvider } from './lib/detail';
import { useInvalidateOnWrites } from './lib/events';
import { ToastProvider } from './lib/toast';

// The graph (cytoscape), Timings (uPlot) and Settings (the settings schema, with zod) are most of the bundle: loaded
// on their own, fetched once the first view has painted, so the first paint does not wait for the browser to parse
// them.
const loadGraph = () => import('./features/graph/components/GraphView').then((m) => ({ default: m.GraphView }));
const loadTimings = () => import('./features/timings/components/TimingsView').then((m) => ({ default: m.TimingsView }));
const loadSettings = () =>
  import('./features/settings/components/SettingsView').then((m) => ({ default: m.SettingsView }));
const GraphView = lazy(loadGraph);
const TimingsView = lazy(loadTimings);
const SettingsView = lazy(loadSettings);

const VIEWS = [
  { id: 'layers', label: 'Layers', render: () => <LayersView /> },
  { id: 'graph', label: 'Graph', render: () => <GraphView /> },
  { id: 'timings', label: 'Timings', render: () => <TimingsView /> },
  { id: 'query', label: 'Query', render: () => <QueryView /> },
  { id: 'ingest', label: 'Ingest', render: () => <IngestView /> },
  { id: 'settings', label: 'Settings', render: () => <SettingsView /> },
] as const;
type ViewId = (typeof VIEWS)[number]['id'];

/** True while the user is typing into a field: single-key shortcuts (`/`) must not fire then. */
function typing(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
  );
}

export function App() {
  const access = useQuery({ queryKey: ['access'], queryFn: () => api.status(), retry: false, staleTime: Infinity });
  if (access.error && toApiError(access.error).code === 'UNAUTHORIZED') return <NeedsKey />;
  return (
    <DetailProvider>
      <ToastProvider>
        <Shell />
      </ToastProvider>
    </DetailProvider>
  );
}

function Shell() {
  const [view, setView] = useState<ViewId>('layers');
  const [palette, setPalette] = useState(false);
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);

  const go = useCallback((id: ViewId, focus = false) => {
    setView(id);
    if (focus) tabs.current[VIEWS.findIndex((v) => v.id === id)]?.focus();
  }, []);

  useThemeFromSettings();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key === ',') {
        e.preventDefault();
        setView('settings');
        return;
      }
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        setPalette((p) => !p);
        return;
      }
      if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target)) {
        e.preventDefault();
        setPalette(true);
        return;
      }
      // e.code, not e.key: Option+1 on macOS types "¡", and keyboard layouts move the digits.
      const digit = /^Digit([1-9])$/.exec(e.code);
      if (e.altKey && !e.ctrlKey && !e.metaKey && digit) {
        const v = VIEWS[Number(digit[1]) - 1];
        if (v) {
          e.preventDefault();
          setView(v.id);
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const commands = useMemo<PaletteCommand[]>(
    () => [
      ...VIEWS.map((v, i) => ({
        id: `view:${v.id}`,
        label: `Go to ${v.label}`,
        hint: `Alt+${i + 1}`,
        run: () => go(v.id, true),
      })),
      { id: 'action:import', label: 'Import a chat export or conversation…', run: () => go('ingest', true) },
      {
        id: 'action:settings',
        label: 'Settings: embedder, LLM, theme, export, backup…',
        hint: 'Ctrl+,',
        run: () => go('settings', true),
      },
      { id: 'action:flush', label: 'Build M1 and M2 now (flush the background queue)', run: () => void api.flush() },
    ],
    [go],
  );

  const onTabKey = (e: React.KeyboardEvent, i: number) => {
    const next =
      e.key === 'ArrowRight'
        ? (i + 1) % VIEWS.length
        : e.key === 'ArrowLeft'
          ? (i - 1 + VIEWS.length) % VIEWS.length
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? VIEWS.length - 1
              : null;
    if (next === null) return;
    e.preventDefault();
    go((VIEWS[next] ?? VIEWS[0]).id, true);
  };

  const current = VIEWS.find((v) => v.id === view) ?? VIEWS[0];
  useImportJobsSync();
  useEffect(() => {
    // After the first view's paint, while the user reads it: the other views' code is then ready when asked for.
    const t = setTimeout(() => {
      void loadGraph();
      void loadTimings();
      void loadSettings();
    }, 1500);
    return () => clearTimeout(t);
  }, []);
  const counts = useQuery(countQueries.layers());
  // The first-run screen must give way as soon as anything is written (an import, the sample, an assistant over MCP).
  useInvalidateOnWrites([countQueries.all, itemQueries.all]);
  const empty = counts.data?.every((r) => r.n === 0) === true;
  return (
    <div className="app">
      <nav className="nav" aria-label="Views">
        <span className="brand">Strata</span>
        <div className="tabs" role="tablist" aria-label="Views">
          {VIEWS.map((v, i) => (
            <button
              key={v.id}
              ref={(el) => {
                tabs.current[i] = el;
              }}
              type="button"
              role="tab"
              id={`tab-${v.id}`}
              aria-selected={v.id === view}
              aria-controls="view-panel"
              tabIndex={v.id === view ? 0 : -1}
              data-testid={`nav-${v.id}`}
              title={`Alt+${i + 1}`}
              onClick={() => setView(v.id)}
              onKeyDown={(e) => onTabKey(e, i)}
            >
              {v.label}
            </button>
          ))}
        </div>
        <button
          type="button"
          className="palette-open"
          data-testid="palette-open"
          onClick={() => setPalette(true)}
          aria-keyshortcuts="Control+K Meta+K /"
          aria-label="Open the command palette"
        >
          Search <kbd>Ctrl K</kbd>
        </button>
      </nav>
      <ProgressStrip />
      <main className="main">
        <div className="content" id="view-panel" role="tabpanel" aria-labelledby={`tab-${view}`} tabIndex={-1}>
          <Suspense fallback={<p className="muted">Loading…</p>}>
            {view === 'layers' && empty ? <FirstRun onImport={() => go('ingest', true)} /> : current.render()}
          </Suspense>
        </div>
        <ItemDetail />
      </main>
      <StatusBar />
      {palette && <Palette commands={commands} onClose={() => setPalette(false)} />}
    </div>
  );
}

/** Browser mode opened without its per-run key: say how to get in instead of showing an empty store. */
function NeedsKey() {
  return (
    <main className="gate" data-testid="needs-key">
      <h1>Strata</h1>
      <p>
        This page needs the private link that <code>npm run serve</code> printed in its terminal, which carries a key
        for this run only.
      </p>
      <p className="muted">
        Copy the whole address from the terminal (it begins with <code>http://127.0.0.1</code>) and open it here. If the
        server was restarted, it printed a new link.
      </p>
    </main>
  );
}
