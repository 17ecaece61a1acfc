/**
 * The engine binding of every method in the API table (`shared/api.ts`), and the one dispatcher IPC, the HTTP
 * bridge (and any other edge) call: arguments checked once against the table's schemas, every answer an
 * ApiResult carrying `{code, message, details?}`, nothing thrown raw.
 */
import { type ApiResult, checkArgs, isStrataMethod, type StrataApi } from '../../shared/api';
import { StrataError, toWireError } from '../../shared/errors';
import type { Engine } from '../engine/engine';
import type { ImportJobs } from './import';
import { entityFacts, entityHub, graphData, listItems } from './inspector';
import { profileWrites } from './profile';

type Bound<M extends keyof StrataApi> = StrataApi[M];

export interface AppServices {
  imports: ImportJobs;
  /** Settings, export, backup and the embedder switch: the app's, not the engine's (src/main/app/app.ts). */
  settings: {
    view: Bound<'settings'>;
    save: Bound<'saveSettings'>;
    testLlm: Bound<'testLlm'>;
    openDataFolder: Bound<'openDataFolder'>;
    exportData: Bound<'exportData'>;
    backupData: Bound<'backupData'>;
    reembedPlan: Bound<'reembedPlan'>;
    startReembed: Bound<'startReembed'>;
    reembedStatus: Bound<'reembedStatus'>;
    cancelReembed: Bound<'cancelReembed'>;
  };
}

/** To add a method: its entry in `API` (shared/api.ts), then its binding here; the type requires both. */
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
    stats: () => engine.stats(),
    counts: () => engine.layerCounts(),
    graph: (input) => graphData(engine, input?.limit, input?.around),
    entityFacts: (id) => entityFacts(engine, id),
    decisions: (sessionId) => engine.decisions(sessionId),
    profile: (input) => profileWrites(engine, input?.rows, input?.rounds),
    startImport: (input) => app.imports.start(input),
    previewImport: (input) => app.imports.preview(input),
    importStatus: async (jobId) => app.imports.get(jobId),
    removeImport: (jobId) => app.imports.remove(jobId),
    cancelImport: async (jobId) => app.imports.cancel(jobId),
    flush: () => engine.flush(),
    query: (input) => engine.query(input),
    suggest: (input) => engine.suggest(input),
    correct: (input) => engine.correct({ actor: 'app', ...input }),
    forget: (input) => engine.forget({ actor: 'app', ...input }),
    history: (input) => engine.history(input),
    auditLog: (query) => engine.auditLog(query),
    entityHub: (id) => entityHub(engine, id),
    mergeEntities: (input) => engine.mergeEntities({ actor: 'app', ...input }),
    renameEntity: (input) => engine.renameEntity({ actor: 'app', ...input }),
    undoEdit: (input) => engine.undoEdit({ actor: 'app', ...input }),
    settings: () => app.settings.view(),
    saveSettings: (patch) => app.settings.save(patch),
    testLlm: (input) => app.settings.testLlm(input),
    openDataFolder: () => app.settings.openDataFolder(),
    exportData: (input) => app.settings.exportData(input),
    backupData: (input) => app.settings.backupData(input),
    reembedPlan: (input) => app.settings.reembedPlan(input),
    startReembed: (input) => app.settings.startReembed(input),
    reembedStatus: () => app.settings.reembedStatus(),
    cancelReembed: () => app.settings.cancelReembed(),
  };
}

/** Calls one method with its arguments checked; answers `{ok, value}` or `{ok: false, error: {code, message, details?}}`. */
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
    return { ok: false, error: toWireError(err) };
  }
}
