/**
 * The command palette (Ctrl/Cmd+K or `/`): memories as you type (debounced; a newer keystroke's answer replaces an
 * older one, which is dropped), views to jump to and actions to run, one list navigated with the arrow keys. Each
 * memory says in words why it matched. Escape closes it and focus returns where it was.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { QueryHit } from '../../../../../shared/types';
import { ErrorBox } from '../../../components/ErrorBox';
import { useDetail } from '../../../lib/detail';
import { reasons } from '../../../lib/explain';
import { paletteQueries } from '../queries';

export interface PaletteCommand {
  id: string;
  label: string;
  hint?: string;
  run(): void;
}

type Entry = { type: 'memory'; hit: QueryHit } | { type: 'command'; command: PaletteCommand };

const DEBOUNCE_MS = 120;

function useDebounced(value: string, delay: number): string {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), delay);
    return () => clearTimeout(t);
  }, [value, delay]);
  return v;
}

export function Palette({ commands, onClose }: { commands: PaletteCommand[]; onClose(): void }) {
  const [text, setText] = useState('');
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const returnTo = useRef<Element | null>(document.activeElement);
  const detail = useDetail();
  const debounced = useDebounced(text.trim(), DEBOUNCE_MS);
  const q = useQuery(paletteQueries.search(debounced));

  useEffect(() => {
    input.current?.focus();
    return () => {
      const back = returnTo.current;
      if (back instanceof HTMLElement && back.isConnected) back.focus();
    };
  }, []);

  const entries = useMemo<Entry[]>(() => {
    const needle = text.trim().toLowerCase();
    const cmds = commands
      .filter((c) => needle === '' || c.label.toLowerCase().includes(needle))
      .map((command) => ({ type: 'command' as const, command }));
    const hits = debounced && q.data ? q.data.hits.map((hit) => ({ type: 'memory' as const, hit })) : [];
    return [...hits, ...cmds];
  }, [commands, text, debounced, q.data]);

  useEffect(() => {
    setActive((a) => Math.min(a, Math.max(0, entries.length - 1)));
  }, [entries.length]);

  const choose = (e: Entry | undefined) => {
    if (!e) return;
    // Focus goes back first, so the detail panel records the right opener and a command may move it on.
    const back = returnTo.current;
    returnTo.current = null;
    if (back instanceof HTMLElement && back.isConnected) back.focus();
    onClose();
    if (e.type === 'memory') detail.open(e.hit.id);
    else e.command.run();
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      onClose();
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((a) => Math.min(entries.length - 1, a + 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(0, a - 1));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      choose(entries[active]);
    }
  };

  return (
    <div className="palette-layer">
      <button
        type="button"
        className="palette-backdrop"
        aria-label="Close search"
        tabIndex={-1}
        onClick={onClose}
        data-testid="palette-backdrop"
      />
      <div
        className="palette"
        role="dialog"
        aria-modal="true"
        aria-label="Search memories and commands"
        data-testid="palette"
        onKeyDown={onKeyDown}
      >
        <input
          ref={input}
          type="search"
          role="combobox"
          aria-expanded="true"
          aria-controls="palette-list"
          aria-activedescendant={entries[active] ? `palette-${active}` : undefined}
          aria-label="Search memories and commands"
          placeholder="Search your memory, or type a command…"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setActive(0);
          }}
        />
        {q.error && <ErrorBox error={q.error} title="Search" />}
        <div id="palette-list" role="listbox" className="palette-list" data-testid="palette-list">
          {entries.map((e, i) => (
            <div
              key={e.type === 'memory' ? `m:${e.hit.id}` : `c:${e.command.id}`}
              id={`palette-${i}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === active}
              className={i === active ? 'palette-entry active' : 'palette-entry'}
              data-testid={e.type === 'memory' ? 'palette-memory' : 'palette-command'}
              data-id={e.type === 'memory' ? e.hit.id : e.command.id}
              onMouseEnter={() => setActive(i)}
              onClick={() => choose(e)}
              onKeyDown={(k) => {
                if (k.key === 'Enter') choose(e);
              }}
            >
              {e.type === 'memory' ? (
                <>
                  <span className={`badge kind-${e.hit.kind}`}>{e.hit.kind}</span>{' '}
                  <span className="palette-text">{e.hit.text}</span>
                  <span className="why small" data-testid="palette-why">
                    {reasons(e.hit, debounced)
                      .map((r) => r.text)
                      .join(' · ')}
                  </span>
                </>
              ) : (
                <>
                  <span className="palette-text">{e.command.label}</span>
                  {e.command.hint && <kbd className="small">{e.command.hint}</kbd>}
                </>
              )}
            </div>
          ))}
          {debounced && q.data && q.data.hits.length === 0 && (
            <div className="muted small palette-none">No memories match “{debounced}”.</div>
          )}
        </div>
      </div>
    </div>
  );
}
