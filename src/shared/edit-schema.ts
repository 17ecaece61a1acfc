/**
 * Correct, forget and history, and the entity edits (merge, rename, undo): the input schemas (applied at the engine's edge and by every caller above it: MCP,
 * CLI, app) and the plain result shapes, including the audit log's entries. No runtime code beyond the schemas.
 */
import { z } from 'zod';
import type { Item, Layer } from './types';

/** A forget names at most this many ids, and a forget by query may reach at most this many messages and items. */
export const MAX_FORGET_IDS = 1_000;
export const MAX_FORGET_MATCHES = 10_000;
export const MAX_FACT_CHARS = 2_000;
export const MAX_REASON_CHARS = 1_000;

const id = z.string().min(1).max(256);
/** Who made an edit: `app`, `cli`, `mcp:<client name>` … kept in the audit log. */
const actor = z.string().min(1).max(200);
const reason = z.string().max(MAX_REASON_CHARS);
const nonBlank = (max: number) =>
  z
    .string()
    .max(max, { message: `over the limit of ${max} characters` })
    .refine((s) => s.trim().length > 0, { message: 'must not be empty' });

export const correctInputSchema = z.strictObject({
  /** The fact to correct. */
  id,
  /** The corrected statement, in plain words. */
  text: nonBlank(MAX_FACT_CHARS),
  reason: reason.optional(),
  actor: actor.optional(),
});
export type CorrectInput = z.input<typeof correctInputSchema>;

export const forgetInputSchema = z.strictObject({
  /** Items of any layer, or messages. */
  ids: z.array(id).min(1).max(MAX_FORGET_IDS).optional(),
  sessionIds: z.array(id).min(1).max(MAX_FORGET_IDS).optional(),
  /** Every message and item whose text contains this (case-insensitive, literal); a query of no words matches nothing. */
  query: z.string().max(4_096).optional(),
  /** True (the default): say what would go and change nothing. */
  dryRun: z.boolean().optional(),
  reason: reason.optional(),
  actor: actor.optional(),
});
export type ForgetInput = z.input<typeof forgetInputSchema>;

export const historyInputSchema = z.union([
  z.strictObject({ factId: id }),
  z.strictObject({ subject: z.string().min(1).max(500), predicate: z.string().min(1).max(500).optional() }),
]);
export type HistoryInput = z.input<typeof historyInputSchema>;

export const auditQuerySchema = z.strictObject({
  limit: z.number().int().min(1).max(1_000).optional(),
  /** Entries older than this id (paging back). */
  beforeId: z.number().int().min(1).optional(),
});
export type AuditQuery = z.input<typeof auditQuerySchema>;

/** An entity's name: what the app shows and keyword search finds. */
export const MAX_ENTITY_NAME_CHARS = 200;

export const mergeEntitiesInputSchema = z.strictObject({
  /** The entity that stays: it takes the other's links, name and aliases. */
  keepId: id,
  /** The entity merged into it, then removed. */
  mergeId: id,
  reason: reason.optional(),
  actor: actor.optional(),
});
export type MergeEntitiesInput = z.input<typeof mergeEntitiesInputSchema>;

export const renameEntityInputSchema = z.strictObject({
  id,
  name: nonBlank(MAX_ENTITY_NAME_CHARS),
  reason: reason.optional(),
  actor: actor.optional(),
});
export type RenameEntityInput = z.input<typeof renameEntityInputSchema>;

export const undoInputSchema = z.strictObject({
  /** The audit entry of the merge or rename to undo. */
  auditId: z.number().int().min(1),
  reason: reason.optional(),
  actor: actor.optional(),
});
export type UndoInput = z.input<typeof undoInputSchema>;

export interface EntityEditResult {
  /** The entity the edit leaves (the one kept by a merge, the renamed one, or the one an undo restored). */
  entityId: string;
  /** Items whose links or text the edit rewrote (the merged entity's facts and relationships, for a merge). */
  rewritten: number;
  auditId: number;
}

/** An entity's hub: what it is called, what is held about it, who and what it relates to, where it came up. */
export interface EntityHub {
  entity: Item;
  /** The facts that mention it, oldest first by when they hold; `validTo` set means superseded. */
  facts: Item[];
  /** Its relationships, each with the entity at the other end. */
  relationships: { item: Item; direction: 'from' | 'to'; other: { id: string; name: string } | null }[];
  /** The episodes its facts and relationships were extracted from, oldest first. */
  episodes: Item[];
}

export interface CorrectResult {
  /** The corrected fact (new). */
  factId: string;
  /** The fact it supersedes: its validity now ends where the correction's begins, with a `superseded_by` link. */
  supersededId: string;
  auditId: number;
}

/** What a forget removes (or, in a dry run, would remove). A dry run and the real run of one input list the same. */
export interface ForgetPlan {
  dryRun: boolean;
  items: { id: string; layer: Layer; kind: string; sessionId: string | null; label: string }[];
  messages: { id: string; sessionId: string; label: string }[];
  sessions: { id: string; title: string }[];
  counts: Record<Layer, number> & { messages: number; sessions: number; byKind: Record<string, number> };
  /** What the layers rebuild afterwards: sessions that keep messages but lose derived items, and messages re-chunked. */
  rebuild: { sessions: string[]; messages: string[] };
  /** The real run only: what the journal removed, and the audit entry recording it. */
  removed?: { items: number; messages: number; sessions: number };
  auditId?: number;
}

export interface FactVersion {
  fact: Item;
  /** True for the version valid now (no end of validity). */
  current: boolean;
  supersededBy: string | null;
  /** How it came to be: the M2 update decision (add/update/no-op) and its reason, or the correction. */
  decision: { action: 'add' | 'update' | 'noop' | 'correct'; reason: string; at: number | null } | null;
}

export interface FactHistory {
  subject: string;
  predicate: string | null;
  /** Oldest first; a fact and its correction share a start, the superseded one first. */
  versions: FactVersion[];
}

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: 'correct' | 'forget' | 'merge' | 'rename' | 'undo';
  /** What the edit was applied to, by id (a forget query's words are not kept: `query: true`). */
  target: Record<string, unknown>;
  /** What it did: the new fact id, or counts per layer. */
  result: Record<string, unknown>;
  reason: string | null;
}
