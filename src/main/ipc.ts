/**
 * One `ipcMain.handle` per StrataApi method. Each checks its arguments against the shared schemas and answers
 * `{ok, value}` or `{ok: false, error: {code, message}}`; nothing thrown crosses the boundary raw.
 */
import { ipcMain } from 'electron';
import type { ApiResult, StrataApi } from '../shared/api';
import { STRATA_METHODS } from '../shared/api';
import { StrataError, toWireError } from '../shared/errors';
import { callApi } from './app/api';

export function registerIpc(api: () => Promise<StrataApi>): void {
  for (const method of STRATA_METHODS) {
    ipcMain.handle(`strata:${method}`, async (_event, ...args: unknown[]): Promise<ApiResult<unknown>> => {
      let target: StrataApi;
      try {
        target = await api();
      } catch (err) {
        const wire = toWireError(err);
        return { ok: false, error: { code: wire.code, message: wire.message } };
      }
      return callApi(target, method, args);
    });
  }
}

export function notReady(reason: unknown): StrataError {
  return new StrataError('INTERNAL', `the engine did not start: ${toWireError(reason).message}`);
}
