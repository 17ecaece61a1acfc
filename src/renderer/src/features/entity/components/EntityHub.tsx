/**
 * An entity's page inside the detail panel: its names, the facts about it as a timeline (holds now / superseded,
 * dates at the precision known), its relationships and the episodes it came up in, each a link; Rename and Merge
 * (pick the other from a search box), and Undo of either, from the toast or from the edits listed here.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { AuditEntry, EntityEditResult } from '../../../../../shared/edit-schema';
import type { Item } from '../../../../../shared/types';
import { ErrorBox } from '../../../components/ErrorBox';
import { api } from '../../../lib/api';
import { useDetail } from '../../../lib/detail';
import { useFocusOnOpen } from '../../../lib/focus';
import { humanDate, humanRange, plural } from '../../../lib/format';
import { useToast } from '../../../lib/toast';
import { EDITED, editQueries } from '../../layers/queries';
import { entityQueries } from '../queries';

/** When a fact holds, at the precision known: "from 7 May 2023", "2022", "May – June 2023". */
function when(f: Item): string {
  if (f.validFrom === null) return 'undated';
  if (f.validTo === null) return `from ${humanDate(f.validFrom)}`;
  return humanRange(f.validFrom, f.validTo);
}

interface EditCall {
  action: 'merge' | 'rename';
  call(): Promise<EntityEditResult>;
  said(r: EntityEditResult): string;
}

/**
 * Merge, rename and undo for the hub, held by the hub itself (not the forms that close after a save), so the toast's
 * Undo still runs once its form is gone.
 */
function useEntityEdits() {
  const qc = useQueryClient();
  const toast = useToast();
  const detail = useDetail();
  const refresh = () => Promise.all(EDITED.map((k) => qc.invalidateQueries({ queryKey: k })));
  const undo = useMutation({
    mutationFn: (u: { auditId: number; action: 'merge' | 'rename' }) => api.undoEdit({ auditId: u.auditId }),
    onSuccess: async (r, u) => {
      await refresh();
      toast.show(`Undone ${u.action}: ${r.entityId} is as it was.`);
      detail.open(r.entityId);
    },
  });
  const edit = useMutation({
    mutationFn: (c: EditCall) => c.call(),
    onSuccess: async (r, c) => {
      await refresh();
      toast.show(c.said(r), { label: 'Undo', run: () => undo.mutate({ auditId: r.auditId, action: c.action }) });
    },
  });
  return { edit, undo };
}

type EntityEdits = ReturnType<typeof useEntityEdits>;

export function EntityHub({ entityId }: { entityId: string }) {
  const hub = useQuery(entityQueries.hub(entityId));
  const detail = useDetail();
  const [mode, setMode] = useState<'none' | 'rename' | 'merge'>('none');
  const edits = useEntityEdits();
  if (hub.error) return <ErrorBox error={hub.error} title="Entity" />;
  const h = hub.data;
  if (!h) return <div className="loading">Loading…</div>;
  const name = String(h.entity.data?.name ?? h.entity.text);
  const aliases = (h.entity.data?.aliases as string[] | undefined) ?? [];
  const now = h.facts.filter((f) => f.validTo === null);
  const past = h.facts.filter((f) => f.validTo !== null);
  return (
    <div className="entity-hub" data-testid="entity-hub">
      <h2 className="entity-name" data-testid="entity-name">
        {name} <span className="muted entity-kind">{String(h.entity.data?.entityKind ?? 'thing')}</span>
      </h2>
      <p className="muted" data-testid="entity-aliases">
        {aliases.length > 0 ? `Also called ${aliases.join(', ')}` : 'No other names known'}
      </p>
      <div className="edit-actions">
        <button
          type="button"
          onClick={() => setMode(mode === 'rename' ? 'none' : 'rename')}
          aria-expanded={mode === 'rename'}
        >
          Rename…
        </button>
        <button
          type="button"
          onClick={() => setMode(mode === 'merge' ? 'none' : 'merge')}
          aria-expanded={mode === 'merge'}
        >
          Merge…
        </button>
      </div>
      {mode === 'rename' && <RenameForm entity={h.entity} name={name} edits={edits} onClose={() => setMode('none')} />}
      {mode === 'merge' && <MergeForm entity={h.entity} name={name} edits={edits} onClose={() => setMode('none')} />}
      {edits.undo.error && <ErrorBox error={edits.undo.error} title="Not undone" />}

      <section className="prov" data-testid="entity-facts-now">
        <h3>Holds now ({now.length})</h3>
        <ul className="timeline">
          {now.map((f) => (
            <FactRow key={f.id} fact={f} />
          ))}
        </ul>
      </section>
      {past.length > 0 && (
        <section className="prov" data-testid="entity-facts-past">
          <h3>Superseded ({past.length})</h3>
          <ul className="timeline">
            {past.map((f) => (
              <FactRow key={f.id} fact={f} />
            ))}
          </ul>
        </section>
      )}
      <section className="prov" data-testid="entity-relationships">
        <h3>Relationships ({h.relationships.length})</h3>
        <ul>
          {h.relationships.map((r) => (
            <li key={`${r.direction}:${r.item.id}`}>
              <button type="button" className="link prov-item" onClick={() => detail.open(r.item.id)}>
                {r.item.text}
              </button>{' '}
              {r.other && r.other.id !== entityId && (
                <button
                  type="button"
                  className="link"
                  data-id={r.other.id}
                  onClick={() => r.other && detail.open(r.other.id)}
                >
                  → {r.other.name}
                </button>
              )}
            </li>
          ))}
        </ul>
      </section>
      <section className="prov" data-testid="entity-episodes">
        <h3>Appears in ({plural(h.episodes.length, 'episode')})</h3>
        <ul>
          {h.episodes.map((e) => (
            <li key={e.id}>
              <button type="button" className="link prov-item" data-id={e.id} onClick={() => detail.open(e.id)}>
                <span className="muted">{e.validFrom !== null ? humanDate(e.validFrom) : 'undated'}</span>{' '}
                {e.text.slice(0, 140)}
              </button>
            </li>
          ))}
        </ul>
      </section>
      <EditList entityId={entityId} edits={edits} />
    </div>
  );
}

function FactRow({ fact }: { fact: Item }) {
  const detail = useDetail();
  return (
    <li data-testid="entity-fact" data-id={fact.id} data-current={fact.validTo === null}>
      <button type="button" className="link prov-item" onClick={() => detail.open(fact.id)}>
        <span className="timeline-when">{when(fact)}</span> {fact.text}
        {fact.validTo !== null && <span className="badge superseded">superseded</span>}
      </button>
    </li>
  );
}

interface FormProps {
  entity: Item;
  name: string;
  edits: EntityEdits;
  onClose(): void;
}

function RenameForm({ entity, name, edits, onClose }: FormProps) {
  const [value, setValue] = useState(name);
  const field = useFocusOnOpen<HTMLInputElement>();
  const { edit } = edits;
  return (
    <form
      className="edit-panel"
      data-testid="rename-form"
      onSubmit={(e) => {
        e.preventDefault();
        edit.mutate(
          {
            action: 'rename',
            call: () => api.renameEntity({ id: entity.id, name: value }),
            said: (r) => `Renamed ${name} to ${value.trim()} (${plural(r.rewritten, 'relationship')} respelled).`,
          },
          { onSuccess: onClose },
        );
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <label>
        New name
        <input ref={field} value={value} onChange={(e) => setValue(e.target.value)} />
      </label>
      {edit.error && <ErrorBox error={edit.error} title="Not renamed" />}
      <div className="edit-actions">
        <button type="submit" className="primary" disabled={edit.isPending}>
          Rename
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function MergeForm({ entity, name, edits, onClose }: FormProps) {
  const [text, setText] = useState('');
  const [picked, setPicked] = useState<Item | null>(null);
  const found = useQuery(entityQueries.search(text));
  const { edit } = edits;
  const field = useFocusOnOpen<HTMLInputElement>();
  const merge = (other: Item) =>
    edit.mutate(
      {
        action: 'merge',
        call: () => api.mergeEntities({ keepId: entity.id, mergeId: other.id }),
        said: (r) =>
          `Merged ${String(other.data?.name ?? other.text)} into ${name} (${plural(r.rewritten, 'item')} relinked).`,
      },
      { onSuccess: onClose },
    );
  const options = (found.data?.items ?? []).filter((i) => i.id !== entity.id);
  return (
    <form
      className="edit-panel"
      data-testid="merge-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (picked) merge(picked);
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <label>
        Merge another entity into {name}
        <input
          ref={field}
          type="search"
          value={text}
          placeholder="Search entities"
          aria-label="Search entities to merge"
          onChange={(e) => {
            setText(e.target.value);
            setPicked(null);
          }}
        />
      </label>
      {found.error && <ErrorBox error={found.error} title="Search" />}
      {!picked && (
        <ul className="merge-options" aria-label="Entities">
          {options.map((o) => (
            <li key={o.id}>
              <button type="button" className="link prov-item" data-id={o.id} onClick={() => setPicked(o)}>
                {o.text}
              </button>
            </li>
          ))}
          {found.data && options.length === 0 && <li className="muted">No other entity matches.</li>}
        </ul>
      )}
      {picked && (
        <p data-testid="merge-confirm-text">
          Merge <strong>{String(picked.data?.name ?? picked.text)}</strong> into <strong>{name}</strong>: its facts and
          relationships move here, its names become aliases, and it is removed. You can undo this.
        </p>
      )}
      {edit.error && <ErrorBox error={edit.error} title="Not merged" />}
      <div className="edit-actions">
        <button type="submit" className="primary" disabled={!picked || edit.isPending}>
          Merge
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The merges and renames that left this entity as it is, each undoable once. */
function EditList({ entityId, edits }: { entityId: string; edits: EntityEdits }) {
  const log = useQuery(editQueries.audit());
  const { undo } = edits;
  const entries = log.data ?? [];
  const undone = new Set(entries.filter((e) => e.action === 'undo').map((e) => Number(e.target.auditId)));
  const mine = entries.filter(
    (e: AuditEntry) =>
      (e.action === 'merge' && e.target.keepId === entityId) || (e.action === 'rename' && e.target.id === entityId),
  );
  if (mine.length === 0) return null;
  return (
    <section className="prov" data-testid="entity-edits">
      <h3>Edits ({mine.length})</h3>
      <ul>
        {mine.map((e) => (
          <li key={e.id} data-audit-id={e.id}>
            {e.action === 'merge' ? `Merged ${String(e.target.mergeId)} in` : 'Renamed'} · {e.actor} · {humanDate(e.at)}
            {e.reason ? ` · ${e.reason}` : ''}{' '}
            {undone.has(e.id) ? (
              <span className="muted">(undone)</span>
            ) : (
              <button
                type="button"
                onClick={() => undo.mutate({ auditId: e.id, action: e.action === 'merge' ? 'merge' : 'rename' })}
                disabled={undo.isPending}
              >
                Undo {e.action}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
