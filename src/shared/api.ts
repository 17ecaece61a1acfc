/**
 * The one API contract between the renderer and the engine, whichever way it is carried (Electron IPC through
 * the preload, the HTTP bridge in browser mode, the CLI, MCP). Each method is declared once, in `API` below:
 * its positional arguments with their schemas, and what it resolves to. `StrataApi`, `STRATA_METHODS`, the
 * preload, the IPC handlers, the HTTP bridge and argument checking all come from this table; the engine binding
 * (`src/main/app/api.ts`) is typed by it, so a method without a binding does not compile.
 */
import type { z } from 'zod';
import { type SuggestResult, suggestInputSchema } from './api-suggest';
import {
  graphInputSchema,
  idSchema,
  importInputSchema,
  listInputSchema,
  listTracesLimitSchema,
  profileInputSchema,
} from './app-schema';
import type { EngineStats, GraphData, ImportJob, ImportPreview, ProfileResult, StrataEvent } from './app-types';
import {
  type AuditEntry,
  auditQuerySchema,
  type CorrectResult,
  correctInputSchema,
  type EntityEditResult,
  type EntityHub,
  type FactHistory,
  type ForgetPlan,
  forgetInputSchema,
  historyInputSchema,
  mergeEntitiesInputSchema,
  renameEntityInputSchema,
  undoInputSchema,
} from './edit-schema';
import type { WireError } from './errors';
import { StrataError } from './errors';
import { markChecked, messagesInputSchema, parseInput, queryInputSchema, sessionInputSchema } from './schema';
import {
  folderInputSchema,
  type LlmTestResult,
  llmTestInputSchema,
  type ReembedJob,
  type ReembedPlan,
  reembedInputSchema,
  type SettingsView,
  settingsPatchSchema,
  type WrittenFile,
} from './settings-schema';
import type {
  Decision,
  EngineStatus,
  Item,
  ItemPage,
  Message,
  Provenance,
  QueryResult,
  Session,
  WriteTrace,
} from './types';

interface ArgSpec<S extends z.ZodType = z.ZodType, O extends boolean = boolean> {
  readonly name: string;
  readonly schema: S;
  readonly optional: O;
}

interface MethodSpec<A extends readonly ArgSpec[] = readonly ArgSpec[], R = unknown> {
  readonly args: A;
  /** Never set: carries the result type. */
  readonly result?: R;
}

const arg = <S extends z.ZodType>(name: string, schema: S): ArgSpec<S, false> => ({ name, schema, optional: false });
const opt = <S extends z.ZodType>(name: string, schema: S): ArgSpec<S, true> => ({ name, schema, optional: true });
/** `method<Result>()(...args)`: the result type is given, the argument types come from the schemas. */
const method =
  <R>() =>
  <const A extends readonly ArgSpec[]>(...args: A): MethodSpec<A, R> => ({ args });

type Deleted = { messages: number; items: number };

export const API = {
  status: method<EngineStatus>()(),
  createSession: method<Session>()(opt('session', sessionInputSchema)),
  addMessages: method<{ messageIds: string[]; trace: WriteTrace }>()(
    arg('sessionId', idSchema),
    arg('messages', messagesInputSchema),
  ),
  listSessions: method<Session[]>()(),
  listMessages: method<Message[]>()(arg('sessionId', idSchema)),
  listTraces: method<WriteTrace[]>()(opt('limit', listTracesLimitSchema)),
  deleteMessage: method<Deleted>()(arg('messageId', idSchema)),
  deleteSession: method<Deleted>()(arg('sessionId', idSchema)),
  /** Hybrid retrieval across layers and stores, with every result's per-source ranks and provenance. */
  query: method<QueryResult>()(arg('query', queryInputSchema)),
  /**
   * Search as you type: a bounded keyword prefix match, entity names and conversation titles (no embedding), for the
   * palette's first answer; a newer call makes an older one still waiting answer `superseded` (api-suggest.ts).
   */
  suggest: method<SuggestResult>()(arg('input', suggestInputSchema)),
  /** One page of a layer's items, filtered by kind, session and text (case-insensitive substring). */
  list: method<ItemPage>()(arg('input', listInputSchema)),
  /** An item or message with its provenance up to the source messages and down to everything derived from it. */
  get: method<Provenance>()(arg('id', idSchema)),
  /** Items per layer and kind only, from an index: cheap enough for a first paint (stats also counts every store). */
  counts: method<{ layer: string; kind: string; n: number }[]>()(),
  /** Counts per layer and kind, rows per store, file sizes, the background queue, the embedder. */
  stats: method<EngineStats>()(),
  /** Entities and the relationships between them (the most connected first, up to a limit). */
  graph: method<GraphData>()(opt('input', graphInputSchema)),
  /** The facts that mention an entity. */
  entityFacts: method<Item[]>()(arg('entityId', idSchema)),
  /** M2 update decisions (add, update, no-op) with their reasons. */
  decisions: method<Decision[]>()(opt('sessionId', idSchema)),
  /** Writes one synthetic batch sequentially and in parallel (alternating rounds), and removes it again. */
  profile: method<ProfileResult>()(opt('input', profileInputSchema)),
  /** Parses and validates a whole file first (a bad one is refused, nothing written), then imports in the background. */
  startImport: method<ImportJob>()(arg('input', importInputSchema)),
  /** What an import would write (sessions, messages, dates, the user, duplicates to skip); writes nothing. */
  previewImport: method<ImportPreview>()(arg('input', importInputSchema)),
  importStatus: method<ImportJob>()(arg('jobId', idSchema)),
  /** Removes what a job wrote (a cancelled job's partial writes), cancelling it first if it runs. */
  removeImport: method<{ messages: number; items: number; job: ImportJob }>()(arg('jobId', idSchema)),
  /** Stops an import after the batch in flight; what was written stays. */
  cancelImport: method<ImportJob>()(arg('jobId', idSchema)),
  /** Waits until M1 and M2 are built for everything written so far. */
  flush: method<void>()(),
  /** Replaces a fact with a corrected statement; the old one stays as superseded history (engine/edits.ts). */
  correct: method<CorrectResult>()(arg('input', correctInputSchema)),
  /** Items, messages, sessions or a text's matches with what derives from them; a dry run unless `dryRun: false`. */
  forget: method<ForgetPlan>()(arg('input', forgetInputSchema)),
  /** Every version of a fact, or of what is held about a subject, with the decision behind each. */
  history: method<FactHistory>()(arg('input', historyInputSchema)),
  /** Corrections and forgets, newest first: who, what, when, why. */
  auditLog: method<AuditEntry[]>()(opt('query', auditQuerySchema)),
  /** An entity with the facts that mention it, its relationships and the episodes it came up in. */
  entityHub: method<EntityHub>()(arg('entityId', idSchema)),
  /** Merges one entity into another (links, names); recorded in the audit log and undoable (engine/entity-edits.ts). */
  mergeEntities: method<EntityEditResult>()(arg('input', mergeEntitiesInputSchema)),
  /** Renames an entity (label, aliases, its relationships' text); recorded and undoable. */
  renameEntity: method<EntityEditResult>()(arg('input', renameEntityInputSchema)),
  /** Undoes a merge or a rename from its audit entry (a forget is final). */
  undoEdit: method<EntityEditResult>()(arg('input', undoInputSchema)),
  /** The settings file (the API key only as whether one is set), the data folder, the embedder in use, a re-embed. */
  settings: method<SettingsView>()(),
  /** Merges a change into the settings file (validated; `llm.apiKey: ''` clears the key). */
  saveSettings: method<SettingsView>()(arg('patch', settingsPatchSchema)),
  /** `GET <url>/models` with a timeout: the models listed, or LLM_UNREACHABLE / LLM_BAD_RESPONSE. Never throws. */
  testLlm: method<LlmTestResult>()(arg('input', llmTestInputSchema)),
  /** Opens the data folder in the file manager (desktop); browser mode answers `opened: false` and the path. */
  openDataFolder: method<{ opened: boolean; path: string }>()(),
  /** JSONL and Markdown of the whole memory into a folder (default: `exports/` in the data folder). */
  exportData: method<WrittenFile[]>()(opt('input', folderInputSchema)),
  /** One consistent backup file into a folder (default: `backups/` in the data folder). */
  backupData: method<WrittenFile>()(opt('input', folderInputSchema)),
  /** How many vectors a switch of embedder re-embeds, and a rough time. Changes nothing. */
  reembedPlan: method<ReembedPlan>()(arg('input', reembedInputSchema)),
  /** Switches the embedder: re-embeds every item in the background (progress as `reembed` events). */
  startReembed: method<ReembedJob>()(arg('input', reembedInputSchema)),
  reembedStatus: method<ReembedJob | null>()(),
  /** Stops a re-embed and goes back to the previous embedder (what was done is re-embedded back). */
  cancelReembed: method<ReembedJob | null>()(),
} as const satisfies Record<string, MethodSpec>;

type Table = typeof API;
export type StrataMethod = keyof Table;

/** A method's parameters, from its argument schemas: optional ones may be left out (always trailing). */
type Params<A extends readonly unknown[]> = A extends readonly [infer H, ...infer T]
  ? H extends ArgSpec<infer S, true>
    ? [z.input<S>?, ...Params<T>]
    : H extends ArgSpec<infer S, false>
      ? [z.input<S>, ...Params<T>]
      : never
  : [];
type ResultOf<M> = M extends MethodSpec<readonly ArgSpec[], infer R> ? R : never;

export type ParamsOf<M extends StrataMethod> = Params<Table[M]['args']>;
export type ResultOfMethod<M extends StrataMethod> = ResultOf<Table[M]>;

/** Every method returns a Promise; failures arrive as `{code, message, details?}`. */
export type StrataApi = { [M in StrataMethod]: (...args: ParamsOf<M>) => Promise<ResultOfMethod<M>> };

export const STRATA_METHODS = Object.keys(API) as StrataMethod[];

export function isStrataMethod(name: string): name is StrataMethod {
  return Object.hasOwn(API, name);
}

/** What every IPC or HTTP call answers: a plain object, so it crosses `contextBridge`, IPC and JSON intact. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: WireError };

/** What the preload exposes as `window.strata`: the same methods, each answering its ApiResult unchanged. */
export type StrataBridge = { [M in StrataMethod]: (...args: ParamsOf<M>) => Promise<ApiResult<ResultOfMethod<M>>> } & {
  subscribe(listener: (event: StrataEvent) => void): () => void;
};

/** What the renderer talks to: the API plus engine events (write traces, import progress, status). */
export interface StrataClient extends StrataApi {
  /** Calls `listener` for every engine event until the returned function is called. */
  subscribe(listener: (event: StrataEvent) => void): () => void;
}

export { ipcChannel, STRATA_EVENT_CHANNEL } from './channels';

/**
 * Checks a call's arguments against its table entry: the one check at the edge (IPC, HTTP, CLI, MCP). Throws
 * INVALID_INPUT naming the field (`messages[0].text: must not be empty`). Returns the parsed arguments, marked as
 * checked so the engine does not parse them again.
 */
export function checkArgs(m: StrataMethod, args: unknown): unknown[] {
  const spec: readonly ArgSpec[] = API[m].args;
  if (!Array.isArray(args)) {
    throw new StrataError('INVALID_INPUT', 'args: expected an array of arguments', { field: 'args' });
  }
  if (args.length > spec.length) {
    throw new StrataError('INVALID_INPUT', `args: ${m} takes at most ${spec.length} argument(s)`, {
      field: 'args',
    });
  }
  return spec.map(({ name, schema, optional }, i) => {
    const value: unknown = args[i];
    // null stands for "left out" (JSON has no undefined).
    if (value === undefined || value === null) {
      if (optional) return undefined;
      throw new StrataError('INVALID_INPUT', `${name}: required`, { field: name });
    }
    return markChecked(schema, parseInput(schema, value, name));
  });
}
