/**
 * The IPC channel names, in a module of their own that imports nothing: the sandboxed preload uses them without
 * pulling the API table's schemas (and zod) into its bundle. The method names themselves reach the preload as a
 * build-time constant taken from the table (`electron.vite.config.ts`).
 */

/** The IPC channel of one method. */
export const ipcChannel = (method: string): string => `strata:${method}`;

/** The channel engine events travel on, over IPC (`webContents.send`) and as the SSE event name. */
export const STRATA_EVENT_CHANNEL = 'strata:event';
