/**
 * Reads the inspector needs beyond the layers' own: the items linking to one (an entity's facts). Runs on the
 * reader worker; the items themselves come from the layer reads' `items` (and listings from `listItems`).
 */
import type { Handlers, InspectorReadMethods, ReaderMethods } from '../workers/protocol';
import type { DB } from './sqlite';

export function createInspectorReads(core: DB): Pick<Handlers<ReaderMethods>, keyof InspectorReadMethods> {
  const linked = core.prepare<[string, string], { src: string }>(
    'SELECT src FROM links WHERE dst = ? AND kind = ? ORDER BY src',
  );
  return {
    linkedFrom: ({ dst, kind }) => linked.all(dst, kind).map((r) => r.src),
  };
}
