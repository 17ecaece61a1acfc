/**
 * The status bar: embedder, store sizes, the vector index (IVF nprobe and recall, or exact), background queue depth,
 * any failed store. Live from status events.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { StrataEvent } from '../../../../../shared/app-types';
import { toApiError, transport } from '../../../lib/api';
import { useStrataEvent } from '../../../lib/events';
import { bytes } from '../../../lib/format';
import { statsQueries } from '../../layers/queries';
import { vectorIndexLabel } from '../vector-index';

type StatusEvent = Extract<StrataEvent, { type: 'status' }>;

export function StatusBar() {
  const stats = useQuery({ ...statsQueries.summary(), refetchInterval: 5_000, retry: false });
  const [live, setLive] = useState<StatusEvent | null>(null);
  useStrataEvent((e) => {
    if (e.type === 'status') setLive(e);
  });
  // The engine is reachable only while the last poll answered: a stale "healthy" after the server is gone misleads.
  const reachable = !stats.isError;
  const status = reachable ? live?.status : undefined;
  const queue = live?.queue ?? stats.data?.queue;
  const embedder = status?.embedder ?? stats.data?.embedder;
  const failed = status?.stores.filter((s) => !s.healthy) ?? [];
  const files = stats.data?.fileBytes;
  const index = stats.data ? vectorIndexLabel(stats.data.stores.vector.ann) : null;
  return (
    <footer className="statusbar" data-testid="status-bar">
      <span title={embedder?.fallback ? `fell back from ${embedder.fallback.from}: ${embedder.fallback.reason}` : ''}>
        Embedder: <b>{embedder ? `${embedder.kind} (${embedder.dim})` : '…'}</b>
        {embedder?.fallback && <span className="warn"> fallback</span>}
      </span>
      {files && (
        <span>
          Stores: core {bytes(files.core)} · vector {bytes(files.vector)} · keyword {bytes(files.keyword)} · graph{' '}
          {bytes(files.graph)}
        </span>
      )}
      {index && (
        <span data-testid="vector-index" title={index.title}>
          Index: {index.text}
        </span>
      )}
      <span data-testid="queue">
        Queue: {queue ? `${queue.queued} waiting${queue.running ? ', building' : ''}` : '…'}
        {queue?.lastError && <span className="warn"> · last error {queue.lastError.code}</span>}
      </span>
      {!reachable ? (
        <span className="bad" role="alert" data-testid="engine-unreachable">
          engine not answering{stats.error ? ` (${toApiError(stats.error).code})` : ''} · retrying
        </span>
      ) : failed.length > 0 ? (
        <span className="bad" role="alert">
          {failed.map((s) => `${s.store} failing${s.lastError ? ` (${s.lastError.code})` : ''}`).join(' · ')}
        </span>
      ) : (
        <span className="good" data-testid="stores-healthy">
          {status ? 'all stores healthy' : ''}
        </span>
      )}
      <span className="muted right">{transport === 'ipc' ? 'desktop' : 'browser mode'}</span>
    </footer>
  );
}
