/**
 * Exposes exactly the StrataApi methods as `window.strata` (each answering its ApiResult), plus `subscribe` for
 * engine events; nothing else crosses into the page (no raw ipcRenderer).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { preloadApi } from './expose';

contextBridge.exposeInMainWorld('strata', preloadApi(ipcRenderer));
