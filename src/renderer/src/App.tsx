/** The app shell: engine status per store. The layer inspector builds on it. */
import { useEffect, useState } from 'react';
import type { EngineStatus } from '../../shared/types';

export function App() {
  const [status, setStatus] = useState<EngineStatus | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const api = window.strata;
    if (!api) {
      setError('No engine connection (window.strata is missing).');
      return;
    }
    api.status().then(setStatus, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);

  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', padding: 24 }}>
      <h1>Strata</h1>
      {error && <p role="alert">{error}</p>}
      {status && (
        <table>
          <thead>
            <tr>
              <th>store</th>
              <th>applied seq</th>
              <th>healthy</th>
              <th>pending ops</th>
            </tr>
          </thead>
          <tbody>
            {status.stores.map((s) => (
              <tr key={s.store}>
                <td>{s.store}</td>
                <td>{s.appliedSeq}</td>
                <td>{s.healthy ? 'yes' : 'no'}</td>
                <td>{s.pendingOps}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
