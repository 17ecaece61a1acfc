/**
 * Toasts: a short line saying what an edit did (forgot, corrected, merged), with an optional action (Undo). One
 * polite live region for the whole app, so a screen reader hears each one; a toast stays until dismissed or replaced
 * while it carries an action, otherwise it fades after a few seconds.
 */
import { createContext, useCallback, useContext, useMemo, useRef, useState } from 'react';

export interface Toast {
  id: number;
  text: string;
  action?: { label: string; run(): void | Promise<void> };
}

interface ToastState {
  show(text: string, action?: Toast['action']): void;
}

const ToastContext = createContext<ToastState | null>(null);
const PLAIN_MS = 8_000;

export function ToastProvider({ children }: { children: React.ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  const show = useCallback(
    (text: string, action?: Toast['action']) => {
      const id = next.current++;
      setToasts((t) => [...t.slice(-2), { id, text, ...(action && { action }) }]);
      if (!action) setTimeout(() => dismiss(id), PLAIN_MS);
    },
    [dismiss],
  );
  const value = useMemo(() => ({ show }), [show]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div className="toasts" role="status" aria-live="polite" data-testid="toasts">
        {toasts.map((t) => (
          <div key={t.id} className="toast" data-testid="toast">
            <span>{t.text}</span>
            {t.action && (
              <button
                type="button"
                onClick={() => {
                  dismiss(t.id);
                  void t.action?.run();
                }}
              >
                {t.action.label}
              </button>
            )}
            <button type="button" className="link" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              ✕
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): ToastState {
  const t = useContext(ToastContext);
  if (!t) throw new Error('useToast outside ToastProvider');
  return t;
}
