/**
 * The MCP tools' argument schemas (src/mcp): snake_case names as MCP clients expect them, bounds taken from the
 * engine's own schemas (schema.ts, edit-schema.ts) so that the MCP edge refuses exactly what the engine would.
 * The MCP SDK turns these into the JSON Schemas clients see, and validates every call against them.
 */
import { z } from 'zod';
import { MAX_FACT_CHARS, MAX_FORGET_IDS, MAX_REASON_CHARS } from './edit-schema';
import { MAX_MESSAGE_CHARS, MAX_QUERY_CHARS, MAX_QUERY_K } from './schema';

/** One memory_add call: fewer messages than the engine's own limit, so a client cannot stall the server. */
export const MCP_MAX_MESSAGES = 1_000;
/** The whole text of one memory_add call. */
export const MCP_MAX_ADD_CHARS = 1_000_000;
export const MCP_MAX_TIMELINE = 200;

const id = z.string().min(1).max(256);
const when = z
  .union([
    z.number().finite().nonnegative(),
    z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not a parseable date' }),
  ])
  .describe('an ISO 8601 date or epoch milliseconds');
const layer = z.enum(['m0', 'm1', 'm2']);

export const searchArgs = z.strictObject({
  query: z.string().max(MAX_QUERY_CHARS).describe('what to recall, in plain words'),
  k: z.number().int().min(1).max(MAX_QUERY_K).optional().describe('how many results (default 10)'),
  layers: z
    .array(layer)
    .min(1)
    .max(3)
    .optional()
    .describe('m0 message chunks, m1 episodes, m2 facts/entities/relationships (default all)'),
  from: when.optional().describe('only memories valid at some point from this time'),
  to: when.optional().describe('only memories valid at some point until this time'),
  as_of: when.optional().describe('only memories valid at this moment (a fact since superseded is left out)'),
  session_ids: z.array(id).min(1).max(1_000).optional(),
  mode: z
    .enum(['hybrid', 'vector', 'keyword', 'graph'])
    .optional()
    .describe('which retrieval sources to use (default hybrid: all, fused by reciprocal rank)'),
});

const addMessage = z
  .strictObject({
    role: z.enum(['user', 'assistant', 'system']).optional(),
    speaker: z.string().min(1).max(200).optional().describe('who said it (a name); default the role'),
    text: z
      .string()
      .max(MAX_MESSAGE_CHARS, { message: `over the limit of ${MAX_MESSAGE_CHARS} characters` })
      .refine((s) => s.trim().length > 0, { message: 'must not be empty' }),
    timestamp: when.optional().describe('when it was said (default now)'),
  })
  .refine((m) => m.role !== undefined || m.speaker !== undefined, {
    message: 'give a role or a speaker',
    path: ['role'],
  });

export const addArgs = z
  .strictObject({
    messages: z
      .array(addMessage)
      .min(1)
      .max(MCP_MAX_MESSAGES, { message: `over the limit of ${MCP_MAX_MESSAGES} messages per call` }),
    session_id: id.optional().describe('add to this session (created if new)'),
    session_title: z.string().min(1).max(500).optional().describe('title of a new session'),
    source: z.string().min(1).max(200).optional().describe('where the conversation comes from, kept with each message'),
  })
  .refine((a) => a.messages.reduce((n, m) => n + m.text.length, 0) <= MCP_MAX_ADD_CHARS, {
    message: `over the limit of ${MCP_MAX_ADD_CHARS} characters in one call`,
    path: ['messages'],
  });

export const getArgs = z.strictObject({
  id: id.describe('an item id (chunk:…, episode:…, fact:…, entity:…) or message id'),
});

export const historyArgs = z
  .strictObject({
    fact_id: id.optional(),
    subject: z.string().min(1).max(500).optional().describe('whom or what the facts are about'),
    predicate: z.string().min(1).max(500).optional().describe('narrows to one relation, e.g. "lives in"'),
  })
  .refine((a) => (a.fact_id === undefined) !== (a.subject === undefined), {
    message: 'give fact_id or subject (one of them)',
    path: ['fact_id'],
  })
  .refine((a) => a.fact_id === undefined || a.predicate === undefined, {
    message: 'predicate goes with subject, not with fact_id',
    path: ['predicate'],
  });

export const timelineArgs = z.strictObject({
  from: when,
  to: when,
  entity: z.string().min(1).max(200).optional().describe('only episodes with this participant or mention'),
  limit: z.number().int().min(1).max(MCP_MAX_TIMELINE).optional().describe('default 50'),
});

export const profileArgs = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    id: id.optional(),
    as_of: when.optional().describe('facts valid at this moment (default now)'),
  })
  .refine((a) => (a.name === undefined) !== (a.id === undefined), {
    message: 'give name or id (one of them)',
    path: ['name'],
  });

export const correctArgs = z.strictObject({
  id: id.describe('the fact to correct'),
  text: z
    .string()
    .max(MAX_FACT_CHARS, { message: `over the limit of ${MAX_FACT_CHARS} characters` })
    .refine((s) => s.trim().length > 0, { message: 'must not be empty' })
    .describe('the corrected statement'),
  reason: z.string().max(MAX_REASON_CHARS).optional(),
});

export const forgetArgs = z
  .strictObject({
    ids: z.array(id).min(1).max(MAX_FORGET_IDS).optional().describe('items of any layer, or message ids'),
    session_ids: z.array(id).min(1).max(MAX_FORGET_IDS).optional(),
    query: z
      .string()
      .max(MAX_QUERY_CHARS)
      .optional()
      .describe('every message and item whose text contains this (case-insensitive, literal)'),
    dry_run: z.boolean().default(true).describe('true (the default): only list what would go'),
    reason: z.string().max(MAX_REASON_CHARS).optional(),
  })
  .refine((a) => a.ids !== undefined || a.session_ids !== undefined || a.query !== undefined, {
    message: 'name what to forget: ids, session_ids or query',
    path: ['ids'],
  });

export const statsArgs = z.strictObject({});

export const recallArgs = { topic: z.string().min(1).max(MAX_QUERY_CHARS).describe('what the conversation is about') };
