/**
 * Graph: entities and relationships drawn by cytoscape (force-directed `cose` layout; pan, zoom, select).
 * Selecting an entity lists the facts that mention it; a fact opens in the detail panel.
 */
import { useQuery } from '@tanstack/react-query';
import cytoscape from 'cytoscape';
import { useEffect, useRef, useState } from 'react';
import type { GraphData } from '../../../../../shared/app-types';
import { Empty, ErrorBox } from '../../../components/ErrorBox';
import { useDetail } from '../../../lib/detail';
import { useInvalidateOnWrites } from '../../../lib/events';
import { graphQueries } from '../queries';

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export function GraphView() {
  const [limit, setLimit] = useState(300);
  const graph = useQuery(graphQueries.data(limit));
  const [selected, setSelected] = useState<{ id: string; name: string } | null>(null);
  useInvalidateOnWrites([graphQueries.all], 5_000);
  const data = graph.data;
  return (
    <section className="view graph" aria-label="Graph">
      <div className="toolbar">
        <label>
          Entities shown{' '}
          <select aria-label="Entities shown" value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
            {[100, 300, 1000, 3000].map((n) => (
              <option key={n} value={n}>
                {n} most connected
              </option>
            ))}
          </select>
        </label>
        {data && (
          <span className="muted" data-testid="graph-counts">
            {data.entities.length} of {data.totalEntities} entities · {data.relationships.length} of{' '}
            {data.totalRelationships} relationships
          </span>
        )}
      </div>
      {graph.error && <ErrorBox error={graph.error} title="Graph" />}
      {data && data.entities.length === 0 && (
        <Empty>No entities yet. M2 extracts them from episodes in the background after an import.</Empty>
      )}
      {data && data.entities.length > 0 && (
        <div className="split">
          <GraphCanvas data={data} onSelect={setSelected} />
          <EntityFacts entity={selected} />
        </div>
      )}
    </section>
  );
}

function GraphCanvas({
  data,
  onSelect,
}: {
  data: GraphData;
  onSelect: (e: { id: string; name: string } | null) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const select = useRef(onSelect);
  select.current = onSelect;
  useEffect(() => {
    if (!ref.current) return;
    const maxDegree = Math.max(1, ...data.entities.map((e) => e.degree));
    const cy = cytoscape({
      container: ref.current,
      elements: [
        ...data.entities.map((e) => ({
          data: { id: e.id, label: e.name, kind: e.entityKind, size: 14 + (26 * e.degree) / maxDegree },
        })),
        ...data.relationships.map((r) => ({
          data: { id: r.id, source: r.from, target: r.to, label: r.relation },
        })),
      ],
      style: [
        {
          selector: 'node',
          style: {
            label: 'data(label)',
            width: 'data(size)',
            height: 'data(size)',
            'background-color': cssVar('--m2'),
            color: cssVar('--fg'),
            'font-size': 10,
            'text-valign': 'bottom',
            'text-margin-y': 3,
          },
        },
        { selector: 'node[kind = "person"]', style: { 'background-color': cssVar('--m0') } },
        { selector: 'node[kind = "place"]', style: { 'background-color': cssVar('--keyword') } },
        {
          selector: 'edge',
          style: {
            width: 1.2,
            'line-color': cssVar('--line'),
            'target-arrow-color': cssVar('--line'),
            'target-arrow-shape': 'triangle',
            'curve-style': 'bezier',
            label: 'data(label)',
            'font-size': 8,
            color: cssVar('--muted'),
          },
        },
        { selector: 'node:selected', style: { 'border-width': 3, 'border-color': cssVar('--accent') } },
      ],
      layout: { name: 'cose', animate: false, nodeDimensionsIncludeLabels: true, randomize: false },
      wheelSensitivity: 0.3,
    });
    cy.on('tap', 'node', (evt) => {
      const n = evt.target as cytoscape.NodeSingular;
      select.current({ id: n.id(), name: String(n.data('label')) });
    });
    cy.on('tap', (evt) => {
      if (evt.target === cy) select.current(null);
    });
    (window as unknown as { __strataGraph?: cytoscape.Core }).__strataGraph = cy;
    return () => cy.destroy();
  }, [data]);
  return <div ref={ref} className="graph-canvas" data-testid="graph-canvas" />;
}

function EntityFacts({ entity }: { entity: { id: string; name: string } | null }) {
  const detail = useDetail();
  const facts = useQuery({ ...graphQueries.facts(entity?.id ?? ''), enabled: entity !== null });
  if (!entity)
    return <div className="graph-side muted">Select an entity to list its facts. Drag to pan, scroll to zoom.</div>;
  return (
    <div className="graph-side" data-testid="entity-facts">
      <h3>{entity.name}</h3>
      {facts.error && <ErrorBox error={facts.error} title="Facts" />}
      {facts.data?.length === 0 && <Empty>No fact mentions this entity.</Empty>}
      <ul className="hits">
        {facts.data?.map((f) => (
          <li key={f.id}>
            <button
              type="button"
              className="link prov-item"
              data-testid="entity-fact"
              onClick={() => detail.open(f.id)}
            >
              {f.text}
              {f.validTo !== null && <span className="badge superseded">superseded</span>}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
