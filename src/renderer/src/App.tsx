/** The app shell: views as tabs (Alt+1…5 switch), the item detail panel, and the status bar. */
import { useEffect, useState } from 'react';
import { GraphView } from './features/graph/components/GraphView';
import { IngestView } from './features/ingest/components/IngestView';
import { ItemDetail } from './features/layers/components/ItemDetail';
import { LayersView } from './features/layers/components/LayersView';
import { QueryView } from './features/query/components/QueryView';
import { StatusBar } from './features/status/components/StatusBar';
import { TimingsView } from './features/timings/components/TimingsView';
import { DetailProvider } from './lib/detail';

const VIEWS = [
  { id: 'layers', label: 'Layers', render: () => <LayersView /> },
  { id: 'graph', label: 'Graph', render: () => <GraphView /> },
  { id: 'timings', label: 'Timings', render: () => <TimingsView /> },
  { id: 'query', label: 'Query', render: () => <QueryView /> },
  { id: 'ingest', label: 'Ingest', render: () => <IngestView /> },
] as const;
type ViewId = (typeof VIEWS)[number]['id'];

export function App() {
  const [view, setView] = useState<ViewId>('layers');
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey) return;
      const n = Number(e.key);
      const v = VIEWS[n - 1];
      if (v) {
        e.preventDefault();
        setView(v.id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const current = VIEWS.find((v) => v.id === view) ?? VIEWS[0];
  return (
    <DetailProvider>
      <div className="app">
        <nav className="nav" aria-label="Views">
          <span className="brand">Strata</span>
          <div className="tabs" role="tablist">
            {VIEWS.map((v, i) => (
              <button
                key={v.id}
                type="button"
                role="tab"
                aria-selected={v.id === view}
                data-testid={`nav-${v.id}`}
                title={`Alt+${i + 1}`}
                onClick={() => setView(v.id)}
              >
                {v.label}
              </button>
            ))}
          </div>
        </nav>
        <main className="main">
          <div className="content">{current.render()}</div>
          <ItemDetail />
        </main>
        <StatusBar />
      </div>
    </DetailProvider>
  );
}
