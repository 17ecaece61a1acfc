/** Exposes exactly the StrataApi methods as `window.strata`; nothing else crosses into the page. */
import { contextBridge, ipcRenderer } from 'electron';
import type { ApiResult, StrataApi } from '../shared/api';

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
} satisfies StrataApi;

contextBridge.exposeInMainWorld('strata', api);
