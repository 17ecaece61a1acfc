/**
 * One `ipcMain.handle` per StrataApi method. Each answers `{ok, value}` or
 * `{ok: false, error: {code, message}}`; nothing thrown crosses the boundary raw.
 */
import { ipcMain } from 'electron';
import type { ApiResult, StrataApi } from '../shared/api';
import { STRATA_METHODS } from '../shared/api';
import { StrataError, toWireError } from '../shared/errors';

export function registerIpc(api: () => Promise<StrataApi>): void {
  for (const method of STRATA_METHODS) {
    ipcMain.handle(`strata:${method}`, async (_event, ...args: unknown[]): Promise<ApiResult<unknown>> => {
      try {
        const target = await api();
        const fn = target[method] as (...a: unknown[]) => Promise<unknown>;
        return { ok: true, value: await fn.apply(target, args) };
      } catch (err) {
        const wire = toWireError(err);
        return { ok: false, error: { code: wire.code, message: wire.message } };
      }
    });
  }
}

export function notReady(reason: unknown): StrataError {
  return new StrataError('INTERNAL', `the engine did not start: ${toWireError(reason).message}`);
}
