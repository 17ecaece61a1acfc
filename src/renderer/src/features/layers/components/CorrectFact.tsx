/**
 * "Correct…" on a fact: an inline editor for the corrected statement and why. Saving supersedes the old fact (its
 * validity ends, `superseded_by` points at the correction) and opens the correction, whose history shows both.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Item } from '../../../../../shared/types';
import { ErrorBox } from '../../../components/ErrorBox';
import { api } from '../../../lib/api';
import { useDetail } from '../../../lib/detail';
import { useFocusOnOpen } from '../../../lib/focus';
import { useToast } from '../../../lib/toast';
import { EDITED } from '../queries';

export function CorrectFact({ fact, onClose }: { fact: Item; onClose(): void }) {
  const [text, setText] = useState(fact.text);
  const [reason, setReason] = useState('');
  const field = useFocusOnOpen<HTMLTextAreaElement>();
  const qc = useQueryClient();
  const detail = useDetail();
  const toast = useToast();
  const save = useMutation({
    mutationFn: () => api.correct({ id: fact.id, text, ...(reason.trim() && { reason: reason.trim() }) }),
    onSuccess: async (r) => {
      await Promise.all(EDITED.map((k) => qc.invalidateQueries({ queryKey: k })));
      toast.show(`Corrected: the old statement is kept as superseded history (audit entry ${r.auditId}).`);
      onClose();
      detail.open(r.factId);
    },
  });
  return (
    <form
      className="edit-panel"
      data-testid="correct-editor"
      aria-label="Correct this fact"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <label>
        Corrected statement
        <textarea value={text} ref={field} rows={3} onChange={(e) => setText(e.target.value)} />
      </label>
      <label>
        Why (kept in the audit log)
        <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="optional" />
      </label>
      {save.error && <ErrorBox error={save.error} title="Not corrected" />}
      <div className="edit-actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save correction'}
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
