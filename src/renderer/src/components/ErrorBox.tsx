/** An error shown where it happened, with the engine's code. */
import { toApiError } from '../lib/api';

export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  const e = toApiError(error);
  return (
    <div className="error" role="alert" data-code={e.code}>
      {title && <strong>{title}: </strong>}
      <code className="error-code">{e.code}</code> {e.message}
    </div>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <div className="empty">{children}</div>;
}
