/**
 * What the preload exposes as `window.strata`: one function per method name it is given (the API table's names,
 * fixed at build time), each invoking its IPC channel and answering the main side's ApiResult unchanged. A plain
 * object crosses `contextBridge` intact, where a rejected Error would lose its code and details; the renderer
 * unwraps it (`shared/envelope.ts`).
 * No Electron import here, so it is tested without Electron; and only type imports from the API table, so the
 * sandboxed preload bundles none of its schemas.
 */
import type { ApiResult, StrataBridge } from '../shared/api';
import type { StrataEvent } from '../shared/app-types';
import { ipcChannel, STRATA_EVENT_CHANNEL } from '../shared/channels';

/** The part of Electron's `ipcRenderer` the preload uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function preloadApi(ipc: IpcRendererLike, methods: readonly string[]): StrataBridge {
  const api: Record<string, unknown> = {};
  for (const m of methods) {
    api[m] = (...args: unknown[]) => ipc.invoke(ipcChannel(m), ...args) as Promise<ApiResult<unknown>>;
  }
  api.subscribe = (listener: (e: StrataEvent) => void) => {
    const handler = (_event: unknown, e: unknown) => listener(e as StrataEvent);
    ipc.on(STRATA_EVENT_CHANNEL, handler);
    return () => {
      ipc.removeListener(STRATA_EVENT_CHANNEL, handler);
    };
  };
  return api as StrataBridge;
}
