/**
 * Binds the engine to the StrataApi contract that IPC and the HTTP bridge serve, and the one dispatcher both
 * use: arguments checked against the shared schemas, every answer an ApiResult, nothing thrown raw.
 */
import type { ApiResult, StrataApi, StrataMethod } from '../../shared/api';
import { STRATA_METHODS } from '../../shared/api';
import { checkArgs } from '../../shared/app-schema';
import { StrataError, toWireError } from '../../shared/errors';
import type { Engine } from '../engine/engine';
import type { ImportJobs } from './import';
import { engineStats, entityFacts, graphData, listItems } from './inspector';
import { profileWrites } from './profile';

export interface AppServices {
  imports: ImportJobs;
}

export function engineApi(engine: Engine, app: AppServices): StrataApi {
  return {
    status: async () => engine.status(),
    createSession: (input) => engine.createSession(input),
    addMessages: async (sessionId, messages) => {
      const r = await engine.addMessages(sessionId, messages);
      return { messageIds: r.messageIds, trace: r.trace };
    },
    listSessions: () => engine.listSessions(),
    listMessages: (sessionId) => engine.listMessages(sessionId),
    listTraces: (limit) => engine.listTraces(limit),
    deleteMessage: (id) => engine.deleteMessage(id),
    deleteSession: (id) => engine.deleteSession(id),
    list: (input) => listItems(engine, input),
    get: (id) => engine.get(id),
    stats: () => engineStats(engine),
    graph: (input) => graphData(engine, input?.limit),
    entityFacts: (id) => entityFacts(engine, id),
    decisions: (sessionId) => engine.decisions(sessionId),
    profile: (input) => profileWrites(engine, input?.rows),
    startImport: (input) => app.imports.start(input),
    previewImport: (input) => app.imports.preview(input),
    importStatus: async (jobId) => app.imports.get(jobId),
    removeImport: (jobId) => app.imports.remove(jobId),
    cancelImport: async (jobId) => app.imports.cancel(jobId),
    flush: () => engine.flush(),
    query: (input) => engine.query(input),
  };
}

export function isStrataMethod(name: string): name is StrataMethod {
  return (STRATA_METHODS as readonly string[]).includes(name);
}

/** Calls one method with its arguments checked; answers `{ok, value}` or `{ok: false, error: {code, message}}`. */
export async function callApi(api: StrataApi, method: string, args: unknown): Promise<ApiResult<unknown>> {
  try {
    if (!isStrataMethod(method)) {
      throw new StrataError('NOT_FOUND', `method: no API method "${method}"`, { field: 'method' });
    }
    const checked = checkArgs(method, args);
    const fn = api[method] as (...a: unknown[]) => Promise<unknown>;
    const value = await fn.apply(api, checked);
    return { ok: true, value: value === undefined ? null : value };
  } catch (err) {
    const wire = toWireError(err);
    return { ok: false, error: { code: wire.code, message: wire.message } };
  }
}
