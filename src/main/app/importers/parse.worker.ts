/**
 * The import's parse on a thread of its own (built to out/workers/import-parse.worker.mjs): reading and validating a
 * whole export is hundreds of milliseconds of CPU for a few megabytes (the LoCoMo file: 0.7 s at load 16), which on
 * the server's main thread held every other request of browser mode for as long. One input per thread; the answer
 * is the parsed import or the refusal as a wire error (see parse-off-thread.ts).
 */
import { parentPort } from 'node:worker_threads';
import { toWireError } from '../../../shared/errors';
import { type ImporterOptions, type ImportFormatName, parseFiles, type RawInput, type ZIP_LIMITS } from './index';

export interface ParseRequest {
  inputs: RawInput[];
  opts: ImporterOptions & { format?: ImportFormatName; zipLimits?: typeof ZIP_LIMITS };
}

parentPort?.once('message', (req: ParseRequest) => {
  try {
    const { format, sessions, user, notes } = parseFiles(req.inputs, req.opts);
    parentPort?.postMessage({ ok: true, value: { format, sessions, user, notes } });
  } catch (err) {
    parentPort?.postMessage({ ok: false, error: toWireError(err) });
  }
});
