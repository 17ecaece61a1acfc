/**
 * Which item the detail panel shows, with a back stack, shared by every view that can open an item. Closing the
 * panel gives focus back to whatever opened it, so a keyboard user carries on where they were.
 */
import { createContext, useCallback, useContext, useMemo, useRef, useState } from 'react';

interface DetailState {
  current: string | null;
  depth: number;
  open(id: string): void;
  back(): void;
  close(): void;
}

const DetailContext = createContext<DetailState | null>(null);

export function DetailProvider({ children }: { children: React.ReactNode }) {
  const [stack, setStack] = useState<string[]>([]);
  const opener = useRef<HTMLElement | null>(null);
  const open = useCallback((id: string) => {
    setStack((s) => {
      if (s.length === 0) {
        const active = document.activeElement;
        opener.current = active instanceof HTMLElement && active !== document.body ? active : null;
      }
      return s[s.length - 1] === id ? s : [...s, id];
    });
  }, []);
  const back = useCallback(() => setStack((s) => s.slice(0, -1)), []);
  const close = useCallback(() => {
    setStack([]);
    const target = opener.current;
    opener.current = null;
    // After the panel unmounts: back to the opener if it is still on the page, else to the view itself.
    requestAnimationFrame(() => {
      if (target?.isConnected) target.focus();
      else document.querySelector<HTMLElement>('.content [tabindex], .content')?.focus();
    });
  }, []);
  const value = useMemo(
    () => ({ current: stack[stack.length - 1] ?? null, depth: stack.length, open, back, close }),
    [stack, open, back, close],
  );
  return <DetailContext.Provider value={value}>{children}</DetailContext.Provider>;
}

export function useDetail(): DetailState {
  const d = useContext(DetailContext);
  if (!d) throw new Error('useDetail outside DetailProvider');
  return d;
}
