/**
 * Exposes exactly the StrataApi methods as `window.strata`, plus `subscribe` for engine events;
 * nothing else crosses into the page (no raw ipcRenderer).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { type ApiResult, STRATA_EVENT_CHANNEL, type StrataApi, type StrataClient } from '../shared/api';
import type { StrataEvent } from '../shared/app-types';

async function invoke<T>(method: keyof StrataApi, ...args: unknown[]): Promise<T> {
  const res = (await ipcRenderer.invoke(`strata:${method}`, ...args)) as ApiResult<T>;
  if (res.ok) return res.value;
  throw Object.assign(new Error(res.error.message), { code: res.error.code });
}

const api = {
  status: () => invoke('status'),
  createSession: (input) => invoke('createSession', input),
  addMessages: (sessionId, messages) => invoke('addMessages', sessionId, messages),
  listSessions: () => invoke('listSessions'),
  listMessages: (sessionId) => invoke('listMessages', sessionId),
  listTraces: (limit) => invoke('listTraces', limit),
  deleteMessage: (id) => invoke('deleteMessage', id),
  deleteSession: (id) => invoke('deleteSession', id),
  query: (input) => invoke('query', input),
  list: (input) => invoke('list', input),
  get: (id) => invoke('get', id),
  stats: () => invoke('stats'),
  graph: (input) => invoke('graph', input),
  entityFacts: (entityId) => invoke('entityFacts', entityId),
  decisions: (sessionId) => invoke('decisions', sessionId),
  profile: (input) => invoke('profile', input),
  startImport: (input) => invoke('startImport', input),
  importStatus: (jobId) => invoke('importStatus', jobId),
  cancelImport: (jobId) => invoke('cancelImport', jobId),
  previewImport: (input) => invoke('previewImport', input),
  removeImport: (jobId) => invoke('removeImport', jobId),
  flush: () => invoke('flush'),
  subscribe: (listener) => {
    const handler = (_event: unknown, e: StrataEvent) => listener(e);
    ipcRenderer.on(STRATA_EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(STRATA_EVENT_CHANNEL, handler);
    };
  },
} satisfies StrataClient;

contextBridge.exposeInMainWorld('strata', api);
