/** A fact's history: every version of what is held about its subject and predicate, old → new, when and why. */
import { useQuery } from '@tanstack/react-query';
import { ErrorBox } from '../../../components/ErrorBox';
import { useDetail } from '../../../lib/detail';
import { humanDate } from '../../../lib/format';
import { editQueries } from '../queries';

const ACTION: Record<string, string> = { add: 'added', update: 'updated', noop: 'repeated', correct: 'corrected' };

export function FactHistory({ factId }: { factId: string }) {
  const h = useQuery(editQueries.history(factId));
  const detail = useDetail();
  if (h.error) return <ErrorBox error={h.error} title="History" />;
  const versions = h.data?.versions ?? [];
  if (versions.length < 2) return null;
  return (
    <section className="prov" data-testid="fact-history">
      <h3>History ({versions.length} versions)</h3>
      <ol className="history">
        {versions.map((v) => (
          <li
            key={v.fact.id}
            data-id={v.fact.id}
            data-current={v.current}
            className={v.fact.id === factId ? 'here' : ''}
          >
            <button type="button" className="link prov-item" onClick={() => detail.open(v.fact.id)}>
              <span className={`badge ${v.current ? 'current' : 'superseded'}`}>
                {v.current ? 'holds now' : 'superseded'}
              </span>{' '}
              {v.fact.text}
            </button>
            <div className="muted history-why">
              {v.decision ? ACTION[v.decision.action] : 'held'} · from {humanDate(v.fact.validFrom)}
              {v.fact.validTo !== null && ` until ${humanDate(v.fact.validTo)}`}
              {v.decision?.at ? ` · recorded ${humanDate(v.decision.at)}` : ''}
              {v.decision?.reason ? ` · ${v.decision.reason}` : ''}
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}
