/**
 * Input schemas of the app's own methods (listing, graph, profile, import); the API table in `api.ts` names them
 * per positional argument, so an error names the argument and the field inside it.
 */
import { z } from 'zod';
import { IMPORT_FORMATS } from './app-types';
import { idSchema } from './schema';

export { idSchema };

const id = idSchema;
const layer = z.enum(['m0', 'm1', 'm2']);

export const MAX_IMPORT_CHARS = 64 * 1024 * 1024;
/** Messages one import may hold (all its sessions together). */
export const MAX_IMPORT_MESSAGES = 1_000_000;

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
  /** Most connected entities kept (default 300); with `around`, the most entities of the neighbourhood (default 150). */
  limit: z.number().int().min(1).max(5000).optional(),
  /**
   * An entity id: only its neighbourhood (it, its neighbours, theirs, up to `limit`), read without the rest of the
   * graph; '' for the most connected entity's. The entity comes first in `entities`.
   */
  around: z.string().max(512).optional(),
});
export type GraphInput = z.input<typeof graphInputSchema>;

export const profileInputSchema = z.strictObject({
  /** Chunks in the synthetic batch (default 500). */
  rows: z.number().int().min(1).max(10_000).optional(),
  /** Rounds, each writing the batch once per mode, alternating which goes first (default 3). */
  rounds: z.number().int().min(1).max(20).optional(),
});
export type ProfileInput = z.input<typeof profileInputSchema>;

export const importInputSchema = z.strictObject({
  /** A file name or label shown in the job list. */
  name: z.string().min(1).max(500),
  /** Left out: detected from the content. */
  format: z.enum(IMPORT_FORMATS).exclude(['strata']).optional(),
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

export const listTracesLimitSchema = z.number().int().min(1).max(2000);
