/**
 * The detail panel: an item's text and metadata, a fact's validity, history and what superseded it, provenance up
 * (episode → chunks → messages) and down (everything derived from it), an entity's hub; Correct… on a fact and
 * Forget… on anything (with the dry run first). Every linked item opens in place.
 */
import { useQueries, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { Item, Message } from '../../../../../shared/types';
import { ErrorBox } from '../../../components/ErrorBox';
import { useDetail } from '../../../lib/detail';
import { humanDate } from '../../../lib/format';
import { EntityHub } from '../../entity/components/EntityHub';
import { decisionQueries, itemQueries } from '../queries';
import { CorrectFact } from './CorrectFact';
import { FactHistory } from './FactHistory';
import { ForgetPreview, type ForgetTarget } from './ForgetPreview';

export function ItemDetail() {
  const detail = useDetail();
  const id = detail.current;
  const q = useQuery({ ...itemQueries.detail(id ?? ''), enabled: id !== null });
  const panel = useRef<HTMLElement>(null);
  const [editing, setEditing] = useState<'none' | 'correct' | 'forget' | 'forget-session'>('none');

  useEffect(() => {
    if (id) panel.current?.focus();
    setEditing('none');
  }, [id]);

  if (!id) return null;
  const p = q.data;
  const item = p?.item;
  const supersededBy = item?.links.filter((l) => l.kind === 'superseded_by') ?? [];
  const mentions = item?.links.filter((l) => l.kind !== 'superseded_by') ?? [];

  return (
    <aside
      ref={panel}
      className="detail"
      aria-label="Item detail"
      data-testid="item-detail"
      tabIndex={-1}
      onKeyDown={(e) => {
        if (e.key === 'Escape') detail.close();
        if (e.key === 'Backspace' && detail.depth > 1) detail.back();
      }}
    >
      <div className="detail-bar">
        <button type="button" onClick={detail.back} disabled={detail.depth < 2} aria-label="Back">
          ← Back
        </button>
        <button type="button" onClick={detail.close} aria-label="Close detail">
          ✕
        </button>
      </div>
      {q.error && <ErrorBox error={q.error} title={id} />}
      {q.isPending && <div className="loading">Loading…</div>}
      {p && item && (
        <>
          <header>
            <span className={`badge kind-${item.kind}`} data-testid="detail-kind">
              {item.kind}
            </span>{' '}
            <span className="badge">{item.layer.toUpperCase()}</span> <code className="muted">{item.id}</code>
          </header>
          <p className="detail-text" data-testid="detail-text">
            {item.text}
          </p>
          <EditBar
            item={item}
            editing={editing}
            setEditing={setEditing}
            onForgotten={() => {
              setEditing('none');
              detail.close();
            }}
          />
          <dl className="meta">
            <dt>Session</dt>
            <dd>{item.sessionId ?? '—'}</dd>
            <dt>{item.kind === 'fact' ? 'Holds from' : 'From'}</dt>
            <dd>{humanDate(item.validFrom)}</dd>
            {(item.kind === 'fact' || item.validTo !== null) && (
              <>
                <dt>{item.kind === 'fact' ? 'Holds until' : 'To'}</dt>
                <dd data-testid="valid-to">
                  {item.validTo === null ? (item.kind === 'fact' ? 'still holds' : '—') : humanDate(item.validTo)}
                </dd>
              </>
            )}
            {supersededBy.length > 0 && (
              <>
                <dt>Superseded by</dt>
                <dd>
                  {supersededBy.map((l) => (
                    <LinkButton key={l.dst} id={l.dst} label={l.dst} />
                  ))}
                </dd>
              </>
            )}
            {/* An entity's data (name, kind, aliases) is its hub, below. */}
            {item.data &&
              item.kind !== 'entity' &&
              Object.entries(item.data).map(([k, v]) => <DataRow key={k} name={k} value={v} />)}
          </dl>
          {mentions.length > 0 && (
            <Section title={`Links (${mentions.length})`}>
              {mentions.map((l) => (
                <li key={`${l.kind}:${l.dst}`}>
                  <span className="muted">{l.kind}</span> <LinkButton id={l.dst} label={l.dst} />
                </li>
              ))}
            </Section>
          )}
          {item.kind === 'entity' && <EntityHub entityId={item.id} />}
          {item.kind === 'fact' && <FactHistory factId={item.id} />}
          {item.kind === 'fact' && (
            <FactDecisions factId={item.id} sessionId={item.sessionId} successors={supersededBy.map((l) => l.dst)} />
          )}
          <Section title={`Derived from (${p.ancestors.length})`} testId="provenance-up">
            {p.ancestors.map((a) => (
              <ItemLink key={a.id} item={a} />
            ))}
          </Section>
          <Section title={`Source messages (${p.messages.length})`} testId="provenance-messages">
            {p.messages.map((m) => (
              <MessageLink key={m.id} message={m} />
            ))}
          </Section>
          <Section title={`Derived into (${p.descendants.length})`} testId="provenance-down">
            {p.descendants.map((d) => (
              <ItemLink key={d.id} item={d} />
            ))}
          </Section>
        </>
      )}
    </aside>
  );
}

function DataRow({ name, value }: { name: string; value: unknown }) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return (
    <>
      <dt>{name}</dt>
      <dd>{text}</dd>
    </>
  );
}

type Editing = 'none' | 'correct' | 'forget' | 'forget-session';

/** Correct… (facts) and Forget… (this item or message, or its whole session), each opening its panel in place. */
function EditBar({
  item,
  editing,
  setEditing,
  onForgotten,
}: {
  item: Item;
  editing: Editing;
  setEditing(e: Editing): void;
  onForgotten(): void;
}) {
  const what = item.kind === 'message' ? 'this message' : `this ${item.kind}`;
  // Back to the button that opened a panel once it closes (Cancel, Escape, Save), never to the page body.
  const opener = useRef<HTMLButtonElement | null>(null);
  useEffect(() => {
    if (editing === 'none' && opener.current?.isConnected) opener.current.focus();
  }, [editing]);
  const open = (e: Editing) => (ev: React.MouseEvent<HTMLButtonElement>) => {
    opener.current = ev.currentTarget;
    setEditing(e);
  };
  const target: ForgetTarget | null =
    editing === 'forget'
      ? { ids: [item.id] }
      : editing === 'forget-session' && item.sessionId
        ? { sessionIds: [item.sessionId] }
        : null;
  return (
    <>
      <div className="edit-actions" data-testid="edit-bar">
        {item.kind === 'fact' && (
          <button type="button" onClick={open('correct')} aria-expanded={editing === 'correct'}>
            Correct…
          </button>
        )}
        <button type="button" onClick={open('forget')} aria-expanded={editing === 'forget'}>
          Forget…
        </button>
        {item.sessionId && (
          <button type="button" onClick={open('forget-session')} aria-expanded={editing === 'forget-session'}>
            Forget session…
          </button>
        )}
      </div>
      {editing === 'correct' && <CorrectFact fact={item} onClose={() => setEditing('none')} />}
      {target && (
        <ForgetPreview
          key={editing}
          target={target}
          what={editing === 'forget-session' ? `session ${item.sessionId}` : what}
          onCancel={() => setEditing('none')}
          onForgotten={onForgotten}
        />
      )}
    </>
  );
}

function Section({ title, testId, children }: { title: string; testId?: string; children: React.ReactNode }) {
  return (
    <section className="prov" data-testid={testId}>
      <h3>{title}</h3>
      <ul>{children}</ul>
    </section>
  );
}

function LinkButton({ id, label }: { id: string; label: string }) {
  const detail = useDetail();
  return (
    <button type="button" className="link" onClick={() => detail.open(id)}>
      {label}
    </button>
  );
}

function ItemLink({ item }: { item: Item }) {
  const detail = useDetail();
  return (
    <li>
      <button type="button" className="link prov-item" data-id={item.id} onClick={() => detail.open(item.id)}>
        <span className={`badge kind-${item.kind}`}>{item.kind}</span> {item.text.slice(0, 160)}
        {item.validTo !== null && item.kind === 'fact' && <span className="badge superseded">superseded</span>}
      </button>
    </li>
  );
}

function MessageLink({ message }: { message: Message }) {
  const detail = useDetail();
  return (
    <li>
      <button
        type="button"
        className="link prov-item"
        data-testid="source-message"
        data-id={message.id}
        onClick={() => detail.open(message.id)}
      >
        <span className="badge kind-message">{message.externalId ?? 'message'}</span> <b>{message.speaker}:</b>{' '}
        {message.text.slice(0, 200)}
      </button>
    </li>
  );
}

/**
 * Why the fact is what it is: the M2 decisions (add, update, no-op) that created, repeated or replaced it. The
 * update that ended it was decided in its successor's session, so that session's decisions are read too.
 */
function FactDecisions({
  factId,
  sessionId,
  successors,
}: {
  factId: string;
  sessionId: string | null;
  successors: string[];
}) {
  const next = useQueries({ queries: successors.map((id) => itemQueries.detail(id)) });
  const sessions = [
    ...new Set([sessionId, ...next.map((q) => q.data?.item.sessionId ?? null)].filter((s): s is string => !!s)),
  ];
  const lists = useQueries({ queries: sessions.map((s) => decisionQueries.session(s)) });
  const error = lists.find((q) => q.error)?.error;
  const mine = lists
    .flatMap((q) => q.data ?? [])
    .filter((d) => d.factId === factId || d.targetId === factId)
    .sort((a, b) => a.at - b.at || a.id - b.id);
  if (error) return <ErrorBox error={error} title="Decisions" />;
  if (mine.length === 0) return null;
  return (
    <Section title={`Decisions (${mine.length})`} testId="fact-decisions">
      {mine.map((d) => (
        <li key={d.id}>
          <span className="badge">{d.action}</span> {d.reason}{' '}
          <span className="muted">
            {d.targetId === factId && d.factId !== factId ? '(replaced this fact)' : ''} {humanDate(d.at)}
          </span>
        </li>
      ))}
    </Section>
  );
}
