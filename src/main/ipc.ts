/**
 * One `ipcMain.handle` per method of the API table. Each answers only the app's own page (the sender frame's URL
 * is checked, so a page the window was somehow navigated to gets nothing), checks its arguments once against the
 * table's schemas and answers `{ok, value}` or `{ok: false, error: {code, message, details?}}`: a plain object,
 * never a thrown Error, because Electron drops an Error's custom properties on the way to the renderer.
 */
import { ipcMain } from 'electron';
import { type ApiResult, ipcChannel, STRATA_METHODS, type StrataApi } from '../shared/api';
import { StrataError, toWireError } from '../shared/errors';
import { callApi } from './app/api';
import { type AppPage, isAppUrl } from './navigation';

export function registerIpc(api: () => Promise<StrataApi>, page: AppPage): void {
  for (const method of STRATA_METHODS) {
    ipcMain.handle(ipcChannel(method), async (event, ...args: unknown[]): Promise<ApiResult<unknown>> => {
      const from = event.senderFrame?.url;
      if (!isAppUrl(from, page)) {
        const error = new StrataError('UNAUTHORIZED', `${method}: only the app's own page may call the API`, {
          sender: from ?? null,
        });
        return { ok: false, error: error.toWire() };
      }
      let target: StrataApi;
      try {
        target = await api();
      } catch (err) {
        return { ok: false, error: toWireError(err) };
      }
      return callApi(target, method, args);
    });
  }
}

export function notReady(reason: unknown): StrataError {
  return new StrataError('INTERNAL', `the engine did not start: ${toWireError(reason).message}`);
}
