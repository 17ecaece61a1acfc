/**
 * The entity edits: merge two entities, rename one, and undo either from its audit record. A merge moves every link
 * into the merged entity (facts' `mentions`, relationships' `from`/`to`, whatever else points at it) onto the one
 * kept, by rewriting the linking items through the one write path, so the journal, the graph store and a replay
 * agree; then it removes the merged entity. Its audit entry keeps what an undo needs to put everything back: the
 * merged entity as it was, the kept one's label before, and which links moved. A rename keeps the entity's id (ids
 * are built from the first name seen, so a later mention under the old name still lands on it) and rewrites the
 * label, the aliases and the relationship texts that spell the name.
 * Shares EditContext with edits.ts (correct, forget); every caller (app, CLI, MCP) goes through here.
 */
import {
  type EntityEditResult,
  type MergeEntitiesInput,
  mergeEntitiesInputSchema,
  type RenameEntityInput,
  renameEntityInputSchema,
  type UndoInput,
  undoInputSchema,
} from '../../shared/edit-schema';
import { StrataError } from '../../shared/errors';
import { parseInput } from '../../shared/schema';
import type { Item } from '../../shared/types';
import { asInput, type EditContext } from './edits';
import { entityId } from './ids';
import type { ItemInput } from './storage/validate';
import { normalizeKey } from './text';

const DEFAULT_ACTOR = 'engine';

type Link = { dst: string; kind: string };

/** An entity's text as M2 writes it: the name, then the other names it goes by (keyword search finds either). */
export function entityLabel(name: string, aliases: string[]): string {
  return aliases.length > 0 ? `${name} (also ${aliases.join(', ')})` : name;
}

/** Aliases without duplicates (by normalised key) and without the name itself. */
function aliasesFor(name: string, candidates: string[]): string[] {
  const seen = new Set([normalizeKey(name)]);
  const out: string[] = [];
  for (const a of candidates) {
    const k = normalizeKey(a);
    if (k === '' || seen.has(k)) continue;
    seen.add(k);
    out.push(a);
  }
  return out;
}

const nameOf = (e: Item): string => String(e.data?.name ?? e.text);
const aliasesOf = (e: Item): string[] => (Array.isArray(e.data?.aliases) ? (e.data.aliases as string[]) : []);

async function loadEntity(ctx: EditContext, id: string, field: string): Promise<Item> {
  const { items } = await ctx.storage.read('items', { ids: [id], withVectors: false });
  const e = items[0];
  if (!e) throw new StrataError('NOT_FOUND', `${field}: no entity "${id}"`, { field });
  if (e.kind !== 'entity') {
    throw new StrataError('INVALID_INPUT', `${field}: "${id}" is a ${e.kind}, not an entity`, { field, kind: e.kind });
  }
  return e;
}

/**
 * Writes rewritten items: those whose text is unchanged keep their stored vectors, the others are embedded again.
 * `items` and `stored` are in the same order; `stored` holds the rows the items were read as (or null if new).
 */
async function writeRewritten(
  ctx: EditContext,
  items: ItemInput[],
  stored: (Item | null)[],
  storedVectors: Map<string, Float32Array>,
  kind: string,
): Promise<void> {
  if (items.length === 0) return;
  const dim = ctx.embedder.dim;
  const fresh = items.filter((it, i) => stored[i]?.text !== it.text || !storedVectors.has(it.id));
  const embedded = fresh.length > 0 ? await ctx.embedder.embed(fresh.map((f) => f.text)) : new Float32Array(0);
  const freshAt = new Map(fresh.map((f, i) => [f.id, i]));
  const vectors = new Float32Array(items.length * dim);
  items.forEach((it, i) => {
    const at = freshAt.get(it.id);
    const v = at === undefined ? storedVectors.get(it.id) : embedded.subarray(at * dim, (at + 1) * dim);
    if (v) vectors.set(v.subarray(0, dim), i * dim);
  });
  await ctx.storage.writeToAll({ items, vectors, kind, layer: 'm2' });
}

async function readWithVectors(ctx: EditContext, ids: string[]) {
  if (ids.length === 0) return { items: [] as Item[], vectors: new Map<string, Float32Array>() };
  const { items, vectors } = await ctx.storage.read('items', { ids, withVectors: true });
  const dim = ctx.embedder.dim;
  const byId = new Map<string, Float32Array>();
  items.forEach((it, i) => {
    if (vectors) byId.set(it.id, vectors.slice(i * dim, (i + 1) * dim));
  });
  return { items, vectors: byId };
}

/** Dedupes links by (dst, kind), keeping their first order. */
function uniqueLinks(links: Link[]): Link[] {
  const seen = new Set<string>();
  return links.filter((l) => {
    const k = `${l.kind}\u0000${l.dst}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** What a merge changed in one linking item: which link kinds moved, and which of them already pointed at the kept. */
interface MovedLinks {
  id: string;
  kinds: string[];
  hadKept: string[];
}

/**
 * Merges entity `mergeId` into `keepId`: every link into the merged one now points at the kept one, the kept one
 * goes by the merged one's names too, and the merged one is removed.
 */
export async function mergeEntities(ctx: EditContext, input: MergeEntitiesInput): Promise<EntityEditResult> {
  const m = parseInput(mergeEntitiesInputSchema, input, 'mergeEntities');
  if (m.keepId === m.mergeId) {
    throw new StrataError('INVALID_INPUT', 'mergeId: an entity cannot be merged into itself', { field: 'mergeId' });
  }
  const keep = await loadEntity(ctx, m.keepId, 'keepId');
  const merged = await loadEntity(ctx, m.mergeId, 'mergeId');
  const incoming = await ctx.storage.read('linksTo', { dst: merged.id });
  const srcIds = [...new Set(incoming.map((l) => l.src))].filter((s) => s !== keep.id);
  const { items: linkers, vectors } = await readWithVectors(ctx, [keep.id, ...srcIds]);
  const keepRow = linkers.find((i) => i.id === keep.id) ?? keep;

  const moved: MovedLinks[] = [];
  const rewritten: ItemInput[] = [];
  const stored: Item[] = [];
  for (const it of linkers) {
    if (it.id === keep.id) continue;
    const kinds = [...new Set(it.links.filter((l) => l.dst === merged.id).map((l) => l.kind))];
    if (kinds.length === 0) continue;
    const hadKept = kinds.filter((k) => it.links.some((l) => l.dst === keep.id && l.kind === k));
    moved.push({ id: it.id, kinds, hadKept });
    const links = uniqueLinks(it.links.map((l) => (l.dst === merged.id ? { dst: keep.id, kind: l.kind } : l)));
    rewritten.push({ ...asInput(it), links });
    stored.push(it);
  }
  // The merged entity's own outgoing links (none today: M2 entities have none) follow it onto the kept one.
  const keepName = nameOf(keepRow);
  const aliases = aliasesFor(keepName, [...aliasesOf(keepRow), nameOf(merged), ...aliasesOf(merged)]);
  const keptInput: ItemInput = {
    ...asInput(keepRow),
    text: entityLabel(keepName, aliases),
    links: uniqueLinks([...keepRow.links, ...merged.links.filter((l) => l.dst !== keep.id)]),
    data: { ...(keepRow.data ?? {}), aliases },
  };
  await writeRewritten(ctx, [keptInput, ...rewritten], [keepRow, ...stored], vectors, 'edit.merge');
  await ctx.storage.deleteItems([merged.id]);
  const at = Date.now();
  const auditId = await ctx.storage.appendAudit({
    at,
    actor: m.actor ?? DEFAULT_ACTOR,
    action: 'merge',
    target: { keepId: keep.id, mergeId: merged.id },
    // What an undo restores: the merged entity whole, the kept one's label and links before, the links that moved.
    result: {
      merged: asInput(merged),
      keptBefore: { text: keepRow.text, data: keepRow.data, links: keepRow.links },
      moved,
    },
    reason: m.reason ?? null,
  });
  return { entityId: keep.id, rewritten: rewritten.length, auditId };
}

/** The relationship text M2 writes: `from relation to`. */
const relationshipText = (from: string, relation: string, to: string) => `${from} ${relation} ${to}`;

/**
 * Renames an entity: its name becomes `name`, the old name joins its aliases, and the relationships it is an end of
 * spell the new name. Its id stays (see the header); a name that is already another entity's is refused (merge).
 */
export async function renameEntity(ctx: EditContext, input: RenameEntityInput): Promise<EntityEditResult> {
  const r = parseInput(renameEntityInputSchema, input, 'renameEntity');
  const name = r.name.trim().replace(/\s+/g, ' ');
  const entity = await loadEntity(ctx, r.id, 'id');
  const oldName = nameOf(entity);
  if (name === oldName) {
    throw new StrataError('INVALID_INPUT', `name: "${entity.id}" is already called "${name}"`, { field: 'name' });
  }
  if (normalizeKey(name) === '') {
    throw new StrataError('INVALID_INPUT', 'name: needs a letter or a digit', { field: 'name' });
  }
  const other = entityId(name);
  if (other !== entity.id) {
    const { items } = await ctx.storage.read('items', { ids: [other], withVectors: false });
    if (items[0]) {
      throw new StrataError('INVALID_INPUT', `name: "${name}" is already entity "${other}"; merge the two instead`, {
        field: 'name',
        entityId: other,
      });
    }
  }
  const incoming = await ctx.storage.read('linksTo', { dst: entity.id });
  const relIds = [...new Set(incoming.filter((l) => l.kind === 'from' || l.kind === 'to').map((l) => l.src))];
  const { items: rows, vectors } = await readWithVectors(ctx, [entity.id, ...relIds]);
  const current = rows.find((i) => i.id === entity.id) ?? entity;
  const aliases = aliasesFor(name, [...aliasesOf(current), oldName]);
  const renamed: ItemInput = {
    ...asInput(current),
    text: entityLabel(name, aliases),
    data: { ...(current.data ?? {}), name, aliases },
  };
  const relationships = rows.filter((i) => i.id !== entity.id && i.kind === 'relationship');
  const rewritten = relationships.map((rel): ItemInput => {
    const d = rel.data ?? {};
    const isFrom = rel.links.some((l) => l.kind === 'from' && l.dst === entity.id);
    const isTo = rel.links.some((l) => l.kind === 'to' && l.dst === entity.id);
    const from = isFrom ? name : String(d.from ?? '');
    const to = isTo ? name : String(d.to ?? '');
    return { ...asInput(rel), text: relationshipText(from, String(d.relation ?? ''), to), data: { ...d, from, to } };
  });
  await writeRewritten(ctx, [renamed, ...rewritten], [current, ...relationships], vectors, 'edit.rename');
  const auditId = await ctx.storage.appendAudit({
    at: Date.now(),
    actor: r.actor ?? DEFAULT_ACTOR,
    action: 'rename',
    target: { id: entity.id },
    result: {
      before: { text: current.text, data: current.data },
      relationships: relationships.map((rel) => ({ id: rel.id, text: rel.text, data: rel.data })),
    },
    reason: r.reason ?? null,
  });
  return { entityId: entity.id, rewritten: rewritten.length, auditId };
}

interface MergeRecord {
  merged: ItemInput;
  keptBefore: { text: string; data: Record<string, unknown> | null; links: Link[] };
  moved: MovedLinks[];
}

interface RenameRecord {
  before: { text: string; data: Record<string, unknown> | null };
  relationships: { id: string; text: string; data: Record<string, unknown> | null }[];
}

/**
 * Undoes a merge or a rename from its audit record: the state before it comes back (an item removed since stays
 * removed). Each edit can be undone once; an undo is itself recorded.
 */
export async function undoEdit(ctx: EditContext, input: UndoInput): Promise<EntityEditResult> {
  const u = parseInput(undoInputSchema, input, 'undo');
  const entry = await ctx.storage.read('auditEntry', { id: u.auditId });
  if (!entry) throw new StrataError('NOT_FOUND', `auditId: no audit entry ${u.auditId}`, { field: 'auditId' });
  if (entry.action !== 'merge' && entry.action !== 'rename') {
    throw new StrataError(
      'INVALID_INPUT',
      `auditId: entry ${u.auditId} is a ${entry.action}; only a merge or a rename can be undone (a forget is final)`,
      { field: 'auditId', action: entry.action },
    );
  }
  const done = await ctx.storage.read('undoneBy', { id: u.auditId });
  if (done !== null) {
    throw new StrataError('INVALID_INPUT', `auditId: entry ${u.auditId} was already undone (entry ${done})`, {
      field: 'auditId',
      undoneBy: done,
    });
  }
  const { entityId: restored, rewritten } =
    entry.action === 'merge'
      ? await undoMerge(ctx, entry.target as { keepId: string }, entry.result as unknown as MergeRecord)
      : await undoRename(ctx, entry.target as { id: string }, entry.result as unknown as RenameRecord);
  const auditId = await ctx.storage.appendAudit({
    at: Date.now(),
    actor: u.actor ?? DEFAULT_ACTOR,
    action: 'undo',
    target: { auditId: u.auditId, action: entry.action },
    result: { entityId: restored, rewritten },
    reason: u.reason ?? null,
  });
  return { entityId: restored, rewritten, auditId };
}

/**
 * The kept entity without what the merge gave it: exactly as it was when nothing touched it since; otherwise (renamed
 * since, say) it keeps the later edit and loses only the merged entity's names and links.
 */
function keptAfterUndo(keep: Item, rec: MergeRecord): ItemInput {
  const before = rec.keptBefore;
  const beforeAliases = (before.data?.aliases as string[] | undefined) ?? [];
  const hadAlias = new Set(beforeAliases.map(normalizeKey));
  const mergedNames = [
    String(rec.merged.data?.name ?? rec.merged.text),
    ...((rec.merged.data?.aliases as string[]) ?? []),
  ];
  const added = new Set(mergedNames.map(normalizeKey).filter((k) => !hadAlias.has(k)));
  const aliases = aliasesOf(keep).filter((a) => !added.has(normalizeKey(a)));
  const untouched =
    nameOf(keep) === String(before.data?.name ?? before.text) &&
    aliases.length === beforeAliases.length &&
    aliases.every((a, i) => a === beforeAliases[i]);
  if (untouched) {
    return {
      ...asInput(keep),
      text: before.text,
      links: before.links,
      ...(before.data !== null && { data: before.data }),
    };
  }
  const key = (l: Link) => `${l.kind}\u0000${l.dst}`;
  const had = new Set(before.links.map(key));
  const fromMerged = new Set((rec.merged.links ?? []).map(key));
  return {
    ...asInput(keep),
    text: entityLabel(nameOf(keep), aliases),
    links: keep.links.filter((l) => had.has(key(l)) || !fromMerged.has(key(l))),
    data: { ...(keep.data ?? {}), aliases },
  };
}

async function undoMerge(ctx: EditContext, target: { keepId: string }, rec: MergeRecord) {
  const { items: present } = await ctx.storage.read('items', { ids: [rec.merged.id], withVectors: false });
  if (present[0]) {
    throw new StrataError(
      'INVALID_INPUT',
      `auditId: "${rec.merged.id}" exists again (written since the merge); merge it into "${target.keepId}" again instead`,
      { field: 'auditId', entityId: rec.merged.id },
    );
  }
  const ids = [target.keepId, ...rec.moved.map((mv) => mv.id)];
  const { items, vectors } = await readWithVectors(ctx, ids);
  const byId = new Map(items.map((i) => [i.id, i]));
  const keep = byId.get(target.keepId);
  const out: ItemInput[] = [rec.merged];
  const stored: (Item | null)[] = [null];
  if (keep) {
    out.push(keptAfterUndo(keep, rec));
    stored.push(keep);
  }
  for (const mv of rec.moved) {
    const it = byId.get(mv.id);
    if (!it) continue;
    const gone = new Set(mv.kinds.filter((k) => !mv.hadKept.includes(k)));
    const kept = it.links.filter((l) => !(l.dst === target.keepId && gone.has(l.kind)));
    const links = uniqueLinks([...kept, ...mv.kinds.map((kind) => ({ dst: rec.merged.id, kind }))]);
    out.push({ ...asInput(it), links });
    stored.push(it);
  }
  await writeRewritten(ctx, out, stored, vectors, 'edit.undo');
  return { entityId: rec.merged.id, rewritten: out.length - 1 };
}

async function undoRename(ctx: EditContext, target: { id: string }, rec: RenameRecord) {
  const ids = [target.id, ...rec.relationships.map((r) => r.id)];
  const { items, vectors } = await readWithVectors(ctx, ids);
  const byId = new Map(items.map((i) => [i.id, i]));
  const entity = byId.get(target.id);
  if (!entity)
    throw new StrataError('NOT_FOUND', `auditId: the renamed entity "${target.id}" is gone`, {
      field: 'auditId',
    });
  const out: ItemInput[] = [
    { ...asInput(entity), text: rec.before.text, ...(rec.before.data !== null && { data: rec.before.data }) },
  ];
  const stored: (Item | null)[] = [entity];
  for (const r of rec.relationships) {
    const it = byId.get(r.id);
    if (!it) continue;
    out.push({ ...asInput(it), text: r.text, ...(r.data !== null && { data: r.data }) });
    stored.push(it);
  }
  await writeRewritten(ctx, out, stored, vectors, 'edit.undo');
  return { entityId: entity.id, rewritten: out.length - 1 };
}
