/**
 * Input schemas of the app's API, and the argument table every edge (IPC, HTTP) checks a call against:
 * one schema per positional argument, so an error names the argument and the field inside it.
 */
import { z } from 'zod';
import type { StrataMethod } from './api';
import { StrataError } from './errors';
import { messagesInputSchema, parseInput, queryInputSchema, sessionInputSchema } from './schema';

const id = z.string().min(1).max(256);
const layer = z.enum(['m0', 'm1', 'm2']);

export const MAX_IMPORT_CHARS = 64 * 1024 * 1024;

export const listInputSchema = z.strictObject({
  layer,
  kind: z.string().min(1).max(64).optional(),
  sessionId: id.optional(),
  /** Case-insensitive substring of the item's text. */
  text: z.string().max(500).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  offset: z.number().int().min(0).optional(),
});
export type ListInput = z.input<typeof listInputSchema>;

export const graphInputSchema = z.strictObject({
  /** Most connected entities kept (default 300). */
  limit: z.number().int().min(1).max(5000).optional(),
});
export type GraphInput = z.input<typeof graphInputSchema>;

export const profileInputSchema = z.strictObject({
  /** Chunks in the synthetic batch (default 500). */
  rows: z.number().int().min(1).max(10_000).optional(),
});
export type ProfileInput = z.input<typeof profileInputSchema>;

export const importInputSchema = z.strictObject({
  /** A file name or label shown in the job list. */
  name: z.string().min(1).max(500),
  /** Left out: detected from the content. */
  format: z
    .enum(['chatgpt', 'claude', 'whatsapp', 'telegram', 'notes', 'jsonl', 'locomo', 'messages', 'text'])
    .optional(),
  /** `base64`: content is the file's bytes (an export's ZIP); default: content is the text itself. */
  encoding: z.enum(['utf8', 'base64']).optional(),
  content: z
    .string()
    .max(MAX_IMPORT_CHARS, { message: `over the limit of ${MAX_IMPORT_CHARS} characters` })
    .refine((s) => s.trim().length > 0, { message: 'the file is empty' }),
  /** LoCoMo only: import just these conversations (sample ids such as conv-26). */
  samples: z.array(z.string().min(1).max(64)).min(1).max(100).optional(),
  /** Plain text and message arrays: the session's title. */
  title: z.string().max(500).optional(),
  /** The speaker who is the person importing (else what the format says, or inferred). */
  user: z.string().min(1).max(200).optional(),
  /** WhatsApp: read dates day first (true) or month first (false); left out, inferred from the file. */
  dayFirst: z.boolean().optional(),
});
export type ImportInput = z.input<typeof importInputSchema>;

type Arg = readonly [name: string, schema: z.ZodType, optional?: 'optional'];

/** Positional arguments of every method, by name. */
export const API_ARGS: Record<StrataMethod, readonly Arg[]> = {
  status: [],
  createSession: [['session', sessionInputSchema, 'optional']],
  addMessages: [
    ['sessionId', id],
    ['messages', messagesInputSchema],
  ],
  listSessions: [],
  listMessages: [['sessionId', id]],
  listTraces: [['limit', z.number().int().min(1).max(2000), 'optional']],
  deleteMessage: [['messageId', id]],
  deleteSession: [['sessionId', id]],
  query: [['query', queryInputSchema]],
  list: [['input', listInputSchema]],
  get: [['id', id]],
  stats: [],
  graph: [['input', graphInputSchema, 'optional']],
  entityFacts: [['entityId', id]],
  decisions: [['sessionId', id, 'optional']],
  profile: [['input', profileInputSchema, 'optional']],
  startImport: [['input', importInputSchema]],
  previewImport: [['input', importInputSchema]],
  importStatus: [['jobId', id]],
  removeImport: [['jobId', id]],
  cancelImport: [['jobId', id]],
  flush: [],
};

/**
 * Checks a call's arguments against its table entry; throws INVALID_INPUT naming the field
 * (`messages[0].text: must not be empty`). Returns the arguments as given: the engine applies defaults itself.
 */
export function checkArgs(method: StrataMethod, args: unknown): unknown[] {
  const spec = API_ARGS[method];
  if (!Array.isArray(args)) {
    throw new StrataError('INVALID_INPUT', 'args: expected an array of arguments', { field: 'args' });
  }
  if (args.length > spec.length) {
    throw new StrataError('INVALID_INPUT', `args: ${method} takes at most ${spec.length} argument(s)`, {
      field: 'args',
    });
  }
  spec.forEach(([name, schema, optional], i) => {
    const value: unknown = args[i];
    if (value === undefined || value === null) {
      if (optional) return;
      throw new StrataError('INVALID_INPUT', `${name}: required`, { field: name });
    }
    parseInput(schema, value, name);
  });
  // null stands for "left out" (JSON has no undefined).
  return args.map((a) => (a === null ? undefined : a));
}
