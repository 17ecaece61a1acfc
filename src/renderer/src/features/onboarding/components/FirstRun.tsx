/**
 * What an empty memory shows: three ways in (import a chat export, paste a conversation, or try a sample), each one
 * click. The sample is written through the same API as everything else, so every layer fills as it would for real.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { ErrorBox } from '../../../components/ErrorBox';
import { api } from '../../../lib/api';
import { SAMPLE_SESSIONS } from '../sample';

export function FirstRun({ onImport }: { onImport(): void }) {
  const qc = useQueryClient();
  const sample = useMutation({
    mutationFn: async () => {
      for (const s of SAMPLE_SESSIONS) {
        await api.createSession({ id: s.id, title: s.title, participants: ['Alex', 'Sam'], startedAt: s.startedAt });
        await api.addMessages(s.id, s.messages);
      }
    },
    onSettled: () => qc.invalidateQueries(),
  });
  return (
    <section className="first-run" aria-labelledby="first-run-title" data-testid="first-run">
      <h2 id="first-run-title">Your memory is empty</h2>
      <p className="muted">
        Strata keeps what you said, the episodes it was part of and the facts it holds, on this computer only.
      </p>
      <div className="first-run-options">
        <button type="button" className="option" onClick={onImport} data-testid="first-run-import">
          <b>Import a chat export</b>
          <span className="muted">ChatGPT, Claude, WhatsApp or Telegram, as downloaded (ZIP or file)</span>
        </button>
        <button type="button" className="option" onClick={onImport} data-testid="first-run-paste">
          <b>Paste a conversation</b>
          <span className="muted">One “Speaker: text” line per message</span>
        </button>
        <button
          type="button"
          className="option"
          onClick={() => sample.mutate()}
          disabled={sample.isPending}
          data-testid="first-run-sample"
        >
          <b>{sample.isPending ? 'Writing the sample…' : 'Try a sample conversation'}</b>
          <span className="muted">Two friends over two evenings: a move, a new job, a cat</span>
        </button>
      </div>
      {sample.error && <ErrorBox error={sample.error} title="Sample" />}
    </section>
  );
}
