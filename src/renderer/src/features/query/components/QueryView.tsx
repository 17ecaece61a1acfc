/**
 * Query playground: text, k, layers, per-source and per-layer weights, results or source messages; shows each
 * fused result with its per-source ranks, raw scores and contributions, its provenance, and the query's trace.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { QueryInput } from '../../../../../shared/schema';
import type { Layer, QueryHit, QueryResult, QuerySource } from '../../../../../shared/types';
import { Empty, ErrorBox } from '../../../components/ErrorBox';
import { useDetail } from '../../../lib/detail';
import { RAW_MEANING, reasons } from '../../../lib/explain';
import { humanRange, ms } from '../../../lib/format';
import { queryQueries } from '../queries';

const SOURCES: QuerySource[] = ['vector', 'keyword', 'graph', 'time'];
const LAYERS: Layer[] = ['m0', 'm1', 'm2'];
type Weights = Record<QuerySource | Layer, number>;

export function QueryView() {
  const [text, setText] = useState('');
  const [k, setK] = useState(10);
  const [layers, setLayers] = useState<Layer[]>(['m0', 'm1', 'm2']);
  const [returns, setReturns] = useState<'items' | 'messages'>('items');
  const [weights, setWeights] = useState<Weights>({ vector: 1, keyword: 1, graph: 1, time: 1, m0: 1, m1: 1, m2: 1 });
  const [submitted, setSubmitted] = useState<QueryInput | null>(null);
  // Each press of Search is a new run, even with the same inputs: what an import wrote since must show.
  const [run, setRun] = useState(0);
  const q = useQuery({ ...queryQueries.run(submitted ?? { text: '' }, run), enabled: submitted !== null });

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setSubmitted({ text, k, layers, weights, returns });
    setRun((n) => n + 1);
  };
  const toggleLayer = (l: Layer) =>
    setLayers((cur) => (cur.includes(l) ? cur.filter((x) => x !== l) : [...cur, l].sort()));

  return (
    <section className="view query" aria-label="Query">
      <form className="query-form" onSubmit={submit}>
        <input
          type="search"
          aria-label="Query text"
          placeholder="Ask your memory…"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <label>
          k{' '}
          <input
            type="number"
            aria-label="k"
            min={1}
            max={200}
            value={k}
            onChange={(e) => setK(Number(e.target.value))}
            style={{ width: 64 }}
          />
        </label>
        {LAYERS.map((l) => (
          <label key={l}>
            <input type="checkbox" checked={layers.includes(l)} onChange={() => toggleLayer(l)} /> {l.toUpperCase()}
          </label>
        ))}
        <select aria-label="Returns" value={returns} onChange={(e) => setReturns(e.target.value as typeof returns)}>
          <option value="items">items</option>
          <option value="messages">source messages</option>
        </select>
        <button type="submit" disabled={q.isFetching}>
          {q.isFetching ? 'Searching…' : 'Search'}
        </button>
      </form>
      <fieldset className="weights">
        <legend className="muted">Weights</legend>
        {(Object.keys(weights) as (keyof Weights)[]).map((w) => (
          <label key={w}>
            {w}
            <input
              type="range"
              min={0}
              max={3}
              step={0.25}
              value={weights[w]}
              aria-label={`weight ${w}`}
              onChange={(e) => setWeights({ ...weights, [w]: Number(e.target.value) })}
            />
            <code>{weights[w].toFixed(2)}</code>
          </label>
        ))}
      </fieldset>
      {q.error && <ErrorBox error={q.error} title="Query" />}
      {!submitted && <Empty>Type a question; results show which source found each one, and why.</Empty>}
      {q.data && submitted && <Results result={q.data} query={submitted.text} />}
    </section>
  );
}

/** The file's own name from a path (the skipped line names the file, not the whole data directory). */
const basename = (file: string): string => file.split(/[\\/]/).pop() ?? file;

function Results({ result, query }: { result: QueryResult; query: string }) {
  return (
    <div className="split">
      <div className="pane">
        {result.time && (
          <p className="muted">
            Dates “{result.time.text}”: {humanRange(result.time.from, result.time.to, Date.now(), true)} (
            {result.time.mode === 'filter' ? 'only results in them' : 'results in them ranked higher'})
          </p>
        )}
        {result.entities.length > 0 && <p className="muted">Graph expanded from: {result.entities.join(', ')}</p>}
        {(result.skipped ?? []).length > 0 && (
          <p
            className="muted"
            role="status"
            data-testid="query-skipped"
            title={(result.skipped ?? []).map((s) => s.message).join('\n')}
          >
            Answered without{' '}
            {(result.skipped ?? []).map((s) => `${s.source} search (${basename(s.file)}: ${s.code})`).join(', ')}.
          </p>
        )}
        {result.hits.length === 0 ? (
          <Empty>No results.</Empty>
        ) : (
          <ol className="hits" data-testid="query-hits">
            {result.hits.map((h) => (
              <Hit key={h.id} hit={h} query={query} />
            ))}
          </ol>
        )}
      </div>
      <div className="pane" style={{ flex: '0 0 320px' }}>
        <div className="card" data-testid="query-trace">
          <h3>Query trace · {ms(result.trace.totalMs)}</h3>
          <table className="plain">
            <tbody>
              {result.trace.spans.map((s) => (
                <tr key={`${s.source}-${s.layer ?? ''}-${s.start}`}>
                  <td>
                    {s.source}
                    {s.layer ? ` · ${s.layer.toUpperCase()}` : ''}
                  </td>
                  <td>+{ms(s.start)}</td>
                  <td>{ms(s.durationMs)}</td>
                  <td className="muted">{s.rows} rows</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </div>
  );
}

function Hit({ hit, query }: { hit: QueryHit; query: string }) {
  const detail = useDetail();
  return (
    <li className="hit" data-testid="query-hit" data-id={hit.id} data-messages={hit.messageIds.join(' ')}>
      <div className="row-head">
        <b>#{hit.rank}</b> <span className={`badge kind-${hit.kind}`}>{hit.kind}</span>
        <span className="badge">{hit.layer === 'message' ? 'message' : hit.layer.toUpperCase()}</span>
        <span className="muted">score {hit.score.toFixed(4)}</span>
        {hit.validTo !== null && hit.kind === 'fact' && <span className="badge superseded">superseded</span>}
      </div>
      <button type="button" className="link prov-item" onClick={() => detail.open(hit.id)}>
        {hit.text}
      </button>
      <p className="why" data-testid="hit-why">
        {reasons(hit, query)
          .map((r) => r.text)
          .join(' · ')}
      </p>
      <details className="score-detail">
        <summary>How this score was made</summary>
        <table>
          <thead>
            <tr>
              <th>source</th>
              <th>rank</th>
              <th>raw score</th>
              <th>contribution</th>
            </tr>
          </thead>
          <tbody>
            {SOURCES.map((s) => {
              const v = hit.sources[s];
              return (
                <tr key={s} className={v ? '' : 'muted'} data-testid={`source-${s}`}>
                  <td>{s}</td>
                  <td>{v ? v.rank : '—'}</td>
                  <td title={RAW_MEANING[s]}>
                    {v ? v.raw.toFixed(4) : '—'} {v && <span className="muted small">{RAW_MEANING[s]}</span>}
                  </td>
                  <td>{v ? v.contribution.toFixed(4) : '—'}</td>
                </tr>
              );
            })}
            {hit.neighbour && (
              <tr data-testid="source-neighbour">
                <td>neighbour</td>
                <td>—</td>
                <td>
                  <button type="button" className="link" onClick={() => detail.open(hit.neighbour?.messageId ?? '')}>
                    {hit.neighbour.messageId}
                  </button>{' '}
                  <span className="muted small">
                    a share of the adjacent message’s score (answers follow questions)
                  </span>
                </td>
                <td>{hit.neighbour.contribution.toFixed(4)}</td>
              </tr>
            )}
          </tbody>
        </table>
        {hit.layer === 'message' && (
          <p className="muted small">
            In source-message mode a message’s score is its items’ scores shared among their messages, plus its
            neighbour’s share; the ranks above are the best rank of any item that leads to it.
          </p>
        )}
      </details>
      {hit.messageIds.length > 0 && (
        <div className="muted">
          From messages:{' '}
          {hit.messageIds.slice(0, 8).map((m) => (
            <button key={m} type="button" className="link" data-testid="hit-message" onClick={() => detail.open(m)}>
              {m}{' '}
            </button>
          ))}
          {hit.messageIds.length > 8 && `… ${hit.messageIds.length - 8} more`}
        </div>
      )}
      {hit.grouped.length > 0 && (
        <div className="muted">
          Folded in: {hit.grouped.map((g) => `${g.kind} (${g.layer.toUpperCase()}, ${g.score.toFixed(4)})`).join(', ')}
        </div>
      )}
    </li>
  );
}
