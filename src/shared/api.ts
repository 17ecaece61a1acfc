/**
 * The one API contract between the renderer and the engine, whichever way it is
 * carried (Electron IPC through the preload, or the HTTP bridge in browser mode).
 * Every method returns a Promise; failures arrive as `{code, message}`.
 */
import type { GraphInput, ImportInput, ListInput, ProfileInput } from './app-schema';
import type { EngineStats, GraphData, ImportJob, ImportPreview, ProfileResult, StrataEvent } from './app-types';
import type { MessageInput, QueryInput, SessionInput } from './schema';
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

export interface StrataApi {
  status(): Promise<EngineStatus>;
  createSession(input: SessionInput): Promise<Session>;
  addMessages(sessionId: string, messages: MessageInput[]): Promise<{ messageIds: string[]; trace: WriteTrace }>;
  listSessions(): Promise<Session[]>;
  listMessages(sessionId: string): Promise<Message[]>;
  listTraces(limit?: number): Promise<WriteTrace[]>;
  deleteMessage(messageId: string): Promise<{ messages: number; items: number }>;
  deleteSession(sessionId: string): Promise<{ messages: number; items: number }>;
  /** Hybrid retrieval across layers and stores, with every result's per-source ranks and provenance. */
  query(input: QueryInput): Promise<QueryResult>;
  /** One page of a layer's items, filtered by kind, session and text (case-insensitive substring). */
  list(input: ListInput): Promise<ItemPage>;
  /** An item or message with its provenance up to the source messages and down to everything derived from it. */
  get(id: string): Promise<Provenance>;
  /** Counts per layer and kind, rows per store, the background queue, the embedder. */
  stats(): Promise<EngineStats>;
  /** Entities and the relationships between them (the most connected first, up to a limit). */
  graph(input?: GraphInput): Promise<GraphData>;
  /** The facts that mention an entity. */
  entityFacts(entityId: string): Promise<Item[]>;
  /** M2 update decisions (add, update, no-op) with their reasons. */
  decisions(sessionId?: string): Promise<Decision[]>;
  /** Writes one synthetic batch sequentially, then in parallel, and removes it again: both traces side by side. */
  profile(input?: ProfileInput): Promise<ProfileResult>;
  /** Parses and validates a whole file first (a bad one is refused, nothing written), then imports in the background. */
  startImport(input: ImportInput): Promise<ImportJob>;
  /** What an import would write (sessions, messages, dates, the user, duplicates to skip); writes nothing. */
  previewImport(input: ImportInput): Promise<ImportPreview>;
  importStatus(jobId: string): Promise<ImportJob>;
  /** Removes what a job wrote (a cancelled job's partial writes), cancelling it first if it runs. */
  removeImport(jobId: string): Promise<{ messages: number; items: number; job: ImportJob }>;
  /** Stops an import after the batch in flight; what was written stays. */
  cancelImport(jobId: string): Promise<ImportJob>;
  /** Waits until M1 and M2 are built for everything written so far. */
  flush(): Promise<void>;
}

export type StrataMethod = keyof StrataApi;

export const STRATA_METHODS = [
  'status',
  'createSession',
  'addMessages',
  'listSessions',
  'listMessages',
  'listTraces',
  'deleteMessage',
  'deleteSession',
  'query',
  'list',
  'get',
  'stats',
  'graph',
  'entityFacts',
  'decisions',
  'profile',
  'startImport',
  'previewImport',
  'importStatus',
  'removeImport',
  'cancelImport',
  'flush',
] as const satisfies readonly StrataMethod[];

/** What every IPC or HTTP call answers. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

/** What the renderer talks to: the API plus engine events (write traces, import progress, status). */
export interface StrataClient extends StrataApi {
  /** Calls `listener` for every engine event until the returned function is called. */
  subscribe(listener: (event: StrataEvent) => void): () => void;
}

/** The channel engine events travel on, over IPC (`webContents.send`) and as the SSE event name. */
export const STRATA_EVENT_CHANNEL = 'strata:event';
