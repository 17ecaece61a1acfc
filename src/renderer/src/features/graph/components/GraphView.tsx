/**
 * Graph: one entity's neighbourhood drawn by cytoscape (find an entity, tap or pick a node to expand it), a legend
 * that filters by kind, the whole graph on request; positions stay put between visits. Selecting an entity lists
 * the facts that mention it; a fact opens in the detail panel. The side list makes every node reachable by keyboard.
 */
import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import cytoscape from 'cytoscape';
import { useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import type { GraphData } from '../../../../../shared/app-types';
import { Empty, ErrorBox } from '../../../components/ErrorBox';
import { useDetail } from '../../../lib/detail';
import { useInvalidateOnWrites } from '../../../lib/events';
import { adjacency, merge, type Neighbourhood, neighbourhood, type Positions, place } from '../neighbourhood';
import { graphQueries } from '../queries';

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** Positions kept across visits of this tab, so the picture is the same each time (see neighbourhood.ts). */
const KEPT: Positions = new Map();

const KIND_COLOUR: Record<string, string> = { person: '--m0', place: '--keyword', organisation: '--m1' };
const colourOf = (kind: string) => cssVar(KIND_COLOUR[kind] ?? '--m2');

export function GraphView() {
  const queryClient = useQueryClient();
  // The first picture: the most connected entity's neighbourhood, read on its own (not every entity first).
  const first = useQuery(graphQueries.around(''));
  const [selected, setSelected] = useState<{ id: string; name: string } | null>(null);
  const [expanded, setExpanded] = useState<string[]>([]);
  const [full, setFull] = useState(false);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [search, setSearch] = useState('');
  const typed = useDeferredValue(search.trim());
  useInvalidateOnWrites([graphQueries.all], 5_000);
  // Each expanded entity's own neighbourhood, read when it is expanded; what is already known is drawn at once.
  // (`combine` answers the same array while no answer changed, so the merge below is not redone each render.)
  const parts = useQueries({
    queries: expanded.map((id) => graphQueries.around(id)),
    combine: (results) => results.map((q) => q.data),
  });
  const whole = useQuery({ ...graphQueries.data(5000), enabled: full });
  const merged = useMemo(() => merge([first.data, ...parts]), [first.data, parts]);
  const data = full ? (whole.data ?? merged) : merged;
  const names = useQuery({ ...graphQueries.names(typed), enabled: typed.length > 0 });
  const kinds = useMemo(() => [...new Set(data?.entities.map((e) => e.entityKind) ?? [])].sort(), [data]);
  // Start from the most connected entity: a readable neighbourhood, not a hairball.
  const start = first.data?.entities[0]?.id;
  const roots = useMemo(() => (expanded.length > 0 ? expanded : start ? [start] : []), [expanded, start]);
  const view = useMemo(() => {
    if (!data) return null;
    const shown = new Set(kinds.filter((k) => !hidden.has(k)));
    return neighbourhood(data, roots, { full, kinds: shown });
  }, [data, roots, full, hidden, kinds]);
  const byId = useMemo(() => new Map(data?.entities.map((e) => [e.id, e]) ?? []), [data]);

  /** A new start: its neighbourhood is read first, then drawn alone. */
  const focusOn = (id: string, name: string) => {
    setSelected({ id, name });
    void queryClient.fetchQuery(graphQueries.around(id)).then(() => {
      setExpanded([id]);
      setFull(false);
    });
  };
  const expand = (id: string) => {
    setExpanded((cur) => (cur.length === 0 && start ? [start, id] : cur.includes(id) ? cur : [...cur, id]));
    const e = byId.get(id);
    if (e) setSelected({ id, name: e.name });
  };
  // Names to pick from: those already read, then those the name search found.
  const options = useMemo(() => {
    const out = new Map<string, string>();
    for (const e of names.data ?? []) out.set(e.id, e.name);
    const needle = typed.toLowerCase();
    for (const e of data?.entities ?? []) {
      if (out.size >= 50) break;
      if (!needle || e.name.toLowerCase().includes(needle)) out.set(e.id, e.name);
    }
    return [...out].map(([id, name]) => ({ id, name }));
  }, [names.data, data, typed]);

  return (
    <section className="view graph" aria-label="Graph">
      <div className="toolbar">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const needle = search.trim().toLowerCase();
            if (!needle) return;
            const pick = (list: { id: string; name: string }[]) =>
              list.find((x) => x.name.toLowerCase() === needle) ??
              list.find((x) => x.name.toLowerCase().startsWith(needle)) ??
              list.find((x) => x.name.toLowerCase().includes(needle));
            const known = pick(options);
            if (known) {
              focusOn(known.id, known.name);
              return;
            }
            // Not read yet: ask the name search for exactly this text.
            void queryClient.fetchQuery(graphQueries.names(search.trim())).then((found) => {
              const hit = pick(found);
              if (hit) focusOn(hit.id, hit.name);
            });
          }}
        >
          <input
            type="search"
            list="graph-entities"
            aria-label="Find an entity"
            placeholder="Find an entity…"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            data-testid="graph-search"
          />
          <datalist id="graph-entities">
            {options.map((e) => (
              <option key={e.id} value={e.name} />
            ))}
          </datalist>
        </form>
        <fieldset className="legend-filter" aria-label="Kinds shown">
          {kinds.map((k) => (
            <label key={k} className="legend-item">
              <input
                type="checkbox"
                checked={!hidden.has(k)}
                onChange={() =>
                  setHidden((h) => {
                    const next = new Set(h);
                    if (next.has(k)) next.delete(k);
                    else next.add(k);
                    return next;
                  })
                }
              />
              <span className="swatch" style={{ background: colourOf(k) }} /> {k}
            </label>
          ))}
        </fieldset>
        <button type="button" onClick={() => setFull((f) => !f)} aria-pressed={full} data-testid="graph-full">
          {full ? 'Back to a neighbourhood' : 'Show the whole graph'}
        </button>
        {data && view && (
          <span className="muted" data-testid="graph-counts">
            {view.nodes.size} of {data.totalEntities} entities · {view.edges.length} of {data.totalRelationships}{' '}
            relationships
          </span>
        )}
        {full && whole.isPending && <span className="muted">Reading the whole graph…</span>}
      </div>
      {first.error && <ErrorBox error={first.error} title="Graph" />}
      {whole.error && <ErrorBox error={whole.error} title="The whole graph" />}
      {data && data.entities.length === 0 && (
        <Empty>No entities yet. M2 extracts them from episodes in the background after an import.</Empty>
      )}
      {data && view && data.entities.length > 0 && (
        <div className="split">
          <GraphCanvas data={data} view={view} onTap={expand} onClear={() => setSelected(null)} />
          <div className="graph-side">
            <EntityFacts entity={selected} />
            <h4 className="muted small">In view</h4>
            <ul className="graph-nodes" data-testid="graph-nodes">
              {[...view.nodes]
                .map((id) => byId.get(id))
                .filter((e) => e !== undefined)
                .sort((a, b) => b.degree - a.degree)
                .slice(0, 60)
                .map((e) => (
                  <li key={e.id}>
                    <button type="button" className="link" data-testid="graph-node" onClick={() => expand(e.id)}>
                      {e.name}
                    </button>{' '}
                    <span className="muted small">
                      {e.entityKind} · {e.degree}
                    </span>
                  </li>
                ))}
            </ul>
          </div>
        </div>
      )}
    </section>
  );
}

/** The elements of `view`'s nodes (placed) and edges, as cytoscape takes them. */
function elementsOf(data: GraphData, view: Neighbourhood, byId: Map<string, GraphData['entities'][number]>) {
  const maxDegree = Math.max(1, ...[...view.nodes].map((id) => byId.get(id)?.degree ?? 1));
  const positions = place(view.nodes, view.hops, adjacency(data), KEPT);
  for (const [id, p] of positions) KEPT.set(id, p);
  const nodes = [...view.nodes].map((id) => {
    const e = byId.get(id);
    return {
      group: 'nodes' as const,
      data: {
        id,
        label: e?.name ?? id,
        kind: e?.entityKind ?? '',
        colour: colourOf(e?.entityKind ?? ''),
        size: 14 + (26 * (e?.degree ?? 1)) / maxDegree,
      },
      position: { ...(positions.get(id) ?? { x: 0, y: 0 }) },
    };
  });
  const edges = view.edges.map((r) => ({
    group: 'edges' as const,
    data: { id: r.id, source: r.from, target: r.to, label: r.relation },
  }));
  return { nodes, edges };
}

/**
 * One cytoscape instance for the view (a new one only when it crosses the large-view size): expanding a node adds its neighbours to it and removes what left
 * the view, in one batch, instead of drawing a new instance (which re-created every element and its style each
 * click: 350 ms at 2,000 entities on a loaded machine).
 */
function GraphCanvas({
  data,
  view,
  onTap,
  onClear,
}: {
  data: GraphData;
  view: Neighbourhood;
  onTap: (id: string) => void;
  onClear: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const cyRef = useRef<cytoscape.Core | null>(null);
  const tap = useRef(onTap);
  tap.current = onTap;
  const clear = useRef(onClear);
  clear.current = onClear;
  const byId = useMemo(() => new Map(data.entities.map((e) => [e.id, e])), [data]);
  // The latest graph and view, for the instance made once (neighbourhoods read later merge into `data`).
  const latest = useRef({ data, view, byId });
  latest.current = { data, view, byId };
  const big = view.nodes.size > 500;
  useEffect(() => {
    if (!ref.current) return;
    const now = latest.current;
    const { nodes, edges } = elementsOf(now.data, now.view, now.byId);
    const cy = cytoscape({
      container: ref.current,
      elements: [...nodes, ...edges],
      style: [
        {
          selector: 'node',
          style: {
            label: 'data(label)',
            width: 'data(size)',
            height: 'data(size)',
            'background-color': 'data(colour)',
            color: cssVar('--fg'),
            'font-size': 11,
            'text-valign': 'bottom',
            'text-margin-y': 3,
          },
        },
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
      // Positions are computed (stable across visits); no force layout runs when nothing changed.
      layout: { name: 'preset', fit: true, padding: 30 },
      wheelSensitivity: 0.6,
      // Large views draw faster while panning and zooming (a renderer option: a view crossing the size gets a new
      // instance).
      hideEdgesOnViewport: big,
      textureOnViewport: big,
    });
    cy.on('tap', 'node', (evt) => tap.current((evt.target as cytoscape.NodeSingular).id()));
    cy.on('tap', (evt) => {
      if (evt.target === cy) clear.current();
    });
    cy.on('dragfree', 'node', (evt) => {
      const n = evt.target as cytoscape.NodeSingular;
      KEPT.set(n.id(), { ...n.position() });
    });
    cyRef.current = cy;
    drawn(cy);
    return () => {
      cyRef.current = null;
      cy.destroy();
    };
  }, [big]);
  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    const shown = new Set(cy.nodes().map((n) => n.id()));
    const same = shown.size === view.nodes.size && [...view.nodes].every((id) => shown.has(id));
    if (same && cy.edges().length === view.edges.length) {
      drawn(cy);
      return;
    }
    const { nodes, edges } = elementsOf(data, view, byId);
    cy.batch(() => {
      cy.elements()
        .filter((el) => (el.isNode() ? !view.nodes.has(el.id()) : true))
        .remove();
      cy.add(nodes.filter((n) => !shown.has(n.data.id)));
      for (const n of nodes) cy.getElementById(n.data.id).data('size', n.data.size);
      cy.add(edges);
    });
    cy.fit(undefined, 30);
    drawn(cy);
  }, [data, view, byId]);
  return <div ref={ref} className="graph-canvas" data-testid="graph-canvas" />;
}

/** Tests and bench:ui see each draw: the instance, and a counter of draws. */
function drawn(cy: cytoscape.Core): void {
  const w = window as unknown as { __strataGraph?: cytoscape.Core; __strataGraphDraws?: number };
  w.__strataGraph = cy;
  w.__strataGraphDraws = (w.__strataGraphDraws ?? 0) + 1;
}

function EntityFacts({ entity }: { entity: { id: string; name: string } | null }) {
  const detail = useDetail();
  const facts = useQuery({ ...graphQueries.facts(entity?.id ?? ''), enabled: entity !== null });
  if (!entity) return <p className="muted">Select an entity to list its facts. Drag to pan, scroll to zoom.</p>;
  return (
    <div data-testid="entity-facts">
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
