/** Which item the detail panel shows, with a back stack, shared by every view that can open an item. */
import { createContext, useCallback, useContext, useMemo, useState } from 'react';

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
  const open = useCallback((id: string) => setStack((s) => (s[s.length - 1] === id ? s : [...s, id])), []);
  const back = useCallback(() => setStack((s) => s.slice(0, -1)), []);
  const close = useCallback(() => setStack([]), []);
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
