/** Focus that follows the user's own action: a form opened by a button puts the caret in its first field. */
import { useEffect, useRef } from 'react';

export function useFocusOnOpen<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return ref;
}
