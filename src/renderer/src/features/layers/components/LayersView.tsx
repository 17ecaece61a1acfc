/** Layers: M0, M1, M2 tabs with counts, text search, a session filter, and a virtualised list of any length. */
import { useQueries, useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useDeferredValue, useMemo, useRef, useState } from 'react';
import type { Item, Layer } from '../../../../../shared/types';
import { Empty, ErrorBox } from '../../../components/ErrorBox';
import { useDetail } from '../../../lib/detail';
import { useInvalidateOnWrites } from '../../../lib/events';
import { humanDate } from '../../../lib/format';
import { countQueries, type ItemFilters, itemQueries, layerCounts, PAGE_SIZE, sessionQueries } from '../queries';

const LAYERS: { layer: Layer; label: string; holds: string }[] = [
  { layer: 'm0', label: 'M0', holds: 'chunks of messages' },
  { layer: 'm1', label: 'M1', holds: 'episodes' },
  { layer: 'm2', label: 'M2', holds: 'facts, entities, relationships' },
];
const ROW_HEIGHT = 56;

export function LayersView() {
  const [layer, setLayer] = useState<Layer>('m0');
  const [text, setText] = useState('');
  const [sessionId, setSessionId] = useState('');
  const [kind, setKind] = useState('');
  const deferredText = useDeferredValue(text);
  const stats = useQuery(countQueries.layers());
  const sessions = useQuery(sessionQueries.list());
  useInvalidateOnWrites([countQueries.all, sessionQueries.all]);
  const counts = layerCounts(stats.data);
  const kinds = (stats.data ?? []).filter((r) => r.layer === layer);
  const filters = useMemo(
    () => ({ layer, text: deferredText, sessionId, kind }),
    [layer, deferredText, sessionId, kind],
  );

  return (
    <section className="view layers" aria-label="Layers">
      <div className="toolbar">
        <div role="tablist" aria-label="Layer" className="tabs">
          {LAYERS.map((l) => (
            <button
              key={l.layer}
              type="button"
              role="tab"
              aria-selected={layer === l.layer}
              data-testid={`layer-tab-${l.layer}`}
              data-count={counts[l.layer]}
              title={l.holds}
              onClick={() => {
                setLayer(l.layer);
                setKind('');
              }}
            >
              {l.label} <span className="count">{counts[l.layer].toLocaleString()}</span>
            </button>
          ))}
        </div>
        <input
          type="search"
          placeholder="Search text…"
          aria-label="Search text"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <select aria-label="Kind" value={kind} onChange={(e) => setKind(e.target.value)}>
          <option value="">All kinds</option>
          {kinds.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.kind} ({k.n.toLocaleString()})
            </option>
          ))}
        </select>
        <select aria-label="Session" value={sessionId} onChange={(e) => setSessionId(e.target.value)}>
          <option value="">All sessions</option>
          {sessions.data?.map((s) => (
            <option key={s.id} value={s.id}>
              {s.title}
            </option>
          ))}
        </select>
      </div>
      {stats.error && <ErrorBox error={stats.error} title="Counts" />}
      {/* A new list per filter: scroll position and the keyboard cursor start again at the top. */}
      <ItemList key={JSON.stringify(filters)} filters={filters} />
    </section>
  );
}

function ItemList({ filters }: { filters: ItemFilters }) {
  const detail = useDetail();
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const first = useQuery(itemQueries.page(filters, 0));
  useInvalidateOnWrites([itemQueries.all]);
  const total = first.data?.total ?? 0;
  const virtual = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const rows = virtual.getVirtualItems();
  const pages = useMemo(() => {
    const set = new Set<number>();
    for (const r of rows) set.add(Math.floor(r.index / PAGE_SIZE));
    set.delete(0);
    return [...set].sort((a, b) => a - b);
  }, [rows]);
  const more = useQueries({ queries: pages.map((p) => itemQueries.page(filters, p)) });
  const itemAt = (index: number): Item | undefined => {
    const page = Math.floor(index / PAGE_SIZE);
    const data = page === 0 ? first.data : more[pages.indexOf(page)]?.data;
    return data?.items[index - page * PAGE_SIZE];
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    let next = active;
    if (e.key === 'ArrowDown') next = Math.min(total - 1, active + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, active - 1);
    else if (e.key === 'PageDown') next = Math.min(total - 1, active + 10);
    else if (e.key === 'PageUp') next = Math.max(0, active - 10);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = total - 1;
    else if (e.key === 'Enter') {
      const it = itemAt(active);
      if (it) detail.open(it.id);
      e.preventDefault();
      return;
    } else return;
    e.preventDefault();
    setActive(next);
    virtual.scrollToIndex(next);
  };

  if (first.error) return <ErrorBox error={first.error} title="Items" />;
  if (first.isPending) return <div className="loading">Loading…</div>;
  if (total === 0) {
    return (
      <Empty>
        {filters.text || filters.sessionId
          ? 'Nothing matches these filters.'
          : 'This layer is empty. Import a conversation in Ingest; M1 and M2 are built from M0 in the background.'}
      </Empty>
    );
  }
  return (
    <>
      <div className="list-meta" data-testid="list-total">
        {total.toLocaleString()} {total === 1 ? 'item' : 'items'}
      </div>
      <div
        ref={scrollRef}
        className="vlist"
        role="listbox"
        aria-label="Items"
        tabIndex={0}
        aria-activedescendant={`row-${active}`}
        onKeyDown={onKeyDown}
      >
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {rows.map((r) => {
            const it = itemAt(r.index);
            return (
              <div
                key={r.key}
                id={`row-${r.index}`}
                role="option"
                aria-selected={r.index === active}
                className={`row${r.index === active ? ' active' : ''}${it && detail.current === it.id ? ' open' : ''}`}
                data-testid="item-row"
                data-id={it?.id}
                data-kind={it?.kind}
                tabIndex={-1}
                onKeyDown={onKeyDown}
                style={{
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  right: 0,
                  height: ROW_HEIGHT,
                  transform: `translateY(${r.start}px)`,
                }}
                onClick={() => {
                  setActive(r.index);
                  if (it) detail.open(it.id);
                }}
              >
                {it ? (
                  <>
                    <div className="row-head">
                      <span className={`badge kind-${it.kind}`}>{it.kind}</span>
                      {it.validTo !== null && it.kind === 'fact' && (
                        <span className="badge superseded">superseded</span>
                      )}
                      <span className="muted">{humanDate(it.validFrom)}</span>
                    </div>
                    <div className="row-text">{it.text}</div>
                  </>
                ) : (
                  <div className="row-text muted">…</div>
                )}
              </div>
            );
          })}
        </div>
      </div>
    </>
  );
}
