/**
 * Exposes exactly the StrataApi methods as `window.strata` (each answering its ApiResult), plus `subscribe` for
 * engine events; nothing else crosses into the page (no raw ipcRenderer). The method names are the API table's,
 * written into this bundle at build time (`electron.vite.config.ts`), so the table's schemas stay out of it.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { preloadApi } from './expose';

declare const __STRATA_METHODS__: readonly string[];

contextBridge.exposeInMainWorld('strata', preloadApi(ipcRenderer, __STRATA_METHODS__));
