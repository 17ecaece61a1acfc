/**
 * The one API contract between the renderer and the engine, whichever way it is
 * carried (Electron IPC through the preload, or the HTTP bridge in browser mode).
 * Every method returns a Promise; failures arrive as `{code, message}`.
 */
import type { MessageInput, SessionInput } from './schema';
import type { EngineStatus, Message, Session, WriteTrace } from './types';

export interface StrataApi {
  status(): Promise<EngineStatus>;
  createSession(input: SessionInput): Promise<Session>;
  addMessages(sessionId: string, messages: MessageInput[]): Promise<{ messageIds: string[]; trace: WriteTrace }>;
  listSessions(): Promise<Session[]>;
  listMessages(sessionId: string): Promise<Message[]>;
  listTraces(limit?: number): Promise<WriteTrace[]>;
  deleteMessage(messageId: string): Promise<{ messages: number; items: number }>;
  deleteSession(sessionId: string): Promise<{ messages: number; items: number }>;
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
] as const satisfies readonly StrataMethod[];

/** What every IPC or HTTP call answers. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
