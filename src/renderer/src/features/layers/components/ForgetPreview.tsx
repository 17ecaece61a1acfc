/**
 * "Forget…": the dry run first (items per layer, messages, sessions, and what the layers rebuild), then Forget
 * removes it from every store. While the preview is open nothing is removed, and Cancel or Escape backs out: the
 * preview is the undo point, since a forget overwrites the freed text and cannot be taken back.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { ForgetInput, ForgetPlan } from '../../../../../shared/edit-schema';
import { ErrorBox } from '../../../components/ErrorBox';
import { api } from '../../../lib/api';
import { plural } from '../../../lib/format';
import { useToast } from '../../../lib/toast';
import { EDITED } from '../queries';

export type ForgetTarget = { ids: string[] } | { sessionIds: string[] };

const SHOWN = 12;

export function summary(plan: ForgetPlan): string {
  const c = plan.counts;
  const parts = [
    c.sessions > 0 ? plural(c.sessions, 'session') : null,
    plural(c.messages, 'message'),
    `${plural(c.m0 + c.m1 + c.m2, 'item')} (M0 ${c.m0} · M1 ${c.m1} · M2 ${c.m2})`,
  ];
  return parts.filter(Boolean).join(', ');
}

export function ForgetPreview({
  target,
  what,
  onCancel,
  onForgotten,
}: {
  target: ForgetTarget;
  what: string;
  onCancel(): void;
  onForgotten(plan: ForgetPlan): void;
}) {
  const input: ForgetInput = { ...target };
  const plan = useQuery({
    queryKey: ['forget-plan', target],
    queryFn: () => api.forget({ ...input, dryRun: true }),
    retry: false,
    gcTime: 0,
  });
  const qc = useQueryClient();
  const toast = useToast();
  const cancel = useRef<HTMLButtonElement>(null);
  const forget = useMutation({
    mutationFn: () => api.forget({ ...input, dryRun: false }),
    onSuccess: async (done) => {
      toast.show(`Forgot ${summary(done)}.`);
      onForgotten(done);
      await Promise.all(EDITED.map((k) => qc.invalidateQueries({ queryKey: k })));
    },
  });
  useEffect(() => cancel.current?.focus(), []);
  const p = plan.data;
  return (
    <section
      className="edit-panel forget-panel"
      role="dialog"
      aria-label={`Forget ${what}`}
      data-testid="forget-preview"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onCancel();
        }
      }}
    >
      <h3>Forget {what}?</h3>
      {plan.isPending && <div className="loading">Working out what would go…</div>}
      {plan.error && <ErrorBox error={plan.error} title="Dry run" />}
      {p && (
        <>
          <p data-testid="forget-summary">
            Would remove <strong>{summary(p)}</strong> from every store. Nothing is removed until you press Forget.
          </p>
          <ul className="forget-list" data-testid="forget-items">
            {p.sessions.map((s) => (
              <li key={s.id}>
                <span className="badge">session</span> {s.title || s.id}
              </li>
            ))}
            {p.messages.slice(0, SHOWN).map((m) => (
              <li key={m.id}>
                <span className="badge kind-message">message</span> {m.label}
              </li>
            ))}
            {p.items.slice(0, SHOWN).map((i) => (
              <li key={i.id}>
                <span className={`badge kind-${i.kind}`}>{i.kind}</span> {i.label}
              </li>
            ))}
            {p.messages.length + p.items.length > 2 * SHOWN && <li className="muted">and more…</li>}
          </ul>
          {(p.rebuild.sessions.length > 0 || p.rebuild.messages.length > 0) && (
            <p className="muted" data-testid="forget-rebuild">
              Rebuilt afterwards: M1/M2 of {plural(p.rebuild.sessions.length, 'session')}
              {p.rebuild.messages.length > 0 && `, ${plural(p.rebuild.messages.length, 'message')} chunked again`}.
            </p>
          )}
          <p className="muted">A forget cannot be undone: the text is overwritten in the database files.</p>
        </>
      )}
      {forget.error && <ErrorBox error={forget.error} title="Not forgotten" />}
      <div className="edit-actions">
        <button
          type="button"
          className="danger"
          data-testid="forget-confirm"
          disabled={!p || forget.isPending}
          onClick={() => forget.mutate()}
        >
          {forget.isPending ? 'Forgetting…' : 'Forget'}
        </button>
        <button ref={cancel} type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}
