/**
 * The command palette (Ctrl/Cmd+K or `/`): memories as you type, views to jump to and actions to run, one list
 * navigated with the arrow keys. Each keystroke (20 ms debounce) asks the cheap `suggest` (keyword prefix match and
 * entity names; a stale request is aborted); once typing pauses the full hybrid query refines the list. Each memory
 * says in words why it matched. Escape closes it and focus returns where it was.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { SuggestHit, SuggestResult } from '../../../../../shared/api-suggest';
import type { QueryHit } from '../../../../../shared/types';
import { ErrorBox } from '../../../components/ErrorBox';
import { useDetail } from '../../../lib/detail';
import { reasons, suggestReasons } from '../../../lib/explain';
import { learnSuggestEndpoint, paletteQueries } from '../queries';

export interface PaletteCommand {
  id: string;
  label: string;
  hint?: string;
  run(): void;
}

type Entry =
  | { type: 'memory'; hit: QueryHit }
  | { type: 'quick'; hit: SuggestHit }
  | { type: 'entity'; id: string; name: string }
  | { type: 'command'; command: PaletteCommand };

/** Long enough to coalesce a burst of keys, short enough not to be felt. */
export const SUGGEST_DEBOUNCE_MS = 20;
/** The full hybrid query (embedding, three sources) waits for a pause in typing. */
export const REFINE_AFTER_MS = 300;

const entryKey = (e: Entry): string =>
  e.type === 'command' ? `c:${e.command.id}` : e.type === 'entity' ? `e:${e.id}` : `m:${e.hit.id}`;

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
  const quick = useDebounced(text.trim(), SUGGEST_DEBOUNCE_MS);
  const settled = useDebounced(text.trim(), REFINE_AFTER_MS);
  const s = useQuery(paletteQueries.suggest(quick));
  const q = useQuery(paletteQueries.search(settled));
  // A suggest the engine skipped (a newer one overtook it) answers empty: keep showing the last real answer.
  const lastReal = useRef<SuggestResult | undefined>(undefined);
  if (s.data && !s.data.superseded) lastReal.current = s.data;
  const suggestion = s.data?.superseded ? lastReal.current : s.data;
  const refined = settled === text.trim() && settled !== '' && q.data ? q.data : undefined;

  useEffect(() => {
    learnSuggestEndpoint();
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
    if (needle === '') return cmds;
    const entities = (suggestion?.entities ?? []).map((e) => ({ type: 'entity' as const, id: e.id, name: e.name }));
    const hits: Entry[] = refined
      ? refined.hits.map((hit) => ({ type: 'memory' as const, hit }))
      : (suggestion?.hits ?? []).map((hit) => ({ type: 'quick' as const, hit }));
    const seen = new Set<string>();
    // A view or action whose name holds what was typed comes first: "Settings" then Enter goes to Settings, as a
    // person expects; memories found by a cheap word match follow.
    return [...cmds, ...entities, ...hits].filter((e) => {
      const k = e.type === 'command' ? entryKey(e) : `id:${e.type === 'entity' ? e.id : e.hit.id}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }, [commands, text, suggestion, refined]);

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
    if (e.type === 'command') e.command.run();
    else detail.open(e.type === 'entity' ? e.id : e.hit.id);
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
        {s.error && (s.error as { code?: string }).code !== 'CANCELLED' && <ErrorBox error={s.error} title="Search" />}
        {q.error && <ErrorBox error={q.error} title="Search" />}
        <div id="palette-list" role="listbox" className="palette-list" data-testid="palette-list">
          {entries.map((e, i) => (
            <div
              key={entryKey(e)}
              id={`palette-${i}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === active}
              className={i === active ? 'palette-entry active' : 'palette-entry'}
              data-testid={
                e.type === 'command' ? 'palette-command' : e.type === 'entity' ? 'palette-entity' : 'palette-memory'
              }
              data-id={e.type === 'command' ? e.command.id : e.type === 'entity' ? e.id : e.hit.id}
              data-source={e.type === 'quick' ? 'suggest' : e.type === 'memory' ? 'query' : undefined}
              onMouseEnter={() => setActive(i)}
              onClick={() => choose(e)}
              onKeyDown={(k) => {
                if (k.key === 'Enter') choose(e);
              }}
            >
              {e.type === 'memory' || e.type === 'quick' ? (
                <>
                  <span className={`badge kind-${e.hit.kind}`}>{e.hit.kind}</span>{' '}
                  <span className="palette-text">{e.hit.text}</span>
                  <span className="why small" data-testid="palette-why">
                    {e.type === 'quick'
                      ? suggestReasons(e.hit)
                      : reasons(e.hit, settled)
                          .map((r) => r.text)
                          .join(' · ')}
                  </span>
                </>
              ) : e.type === 'entity' ? (
                <>
                  <span className="badge kind-entity">entity</span> <span className="palette-text">{e.name}</span>
                  <span className="why small" data-testid="palette-why">
                    name starts with “{text.trim()}”
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
          {refined && refined.hits.length === 0 && (suggestion?.entities.length ?? 0) === 0 && (
            <div className="muted small palette-none">No memories match “{settled}”.</div>
          )}
        </div>
      </div>
    </div>
  );
}
