/**
 * `parseFiles` without blocking the calling thread: the same parse and the same refusals (a StrataError with its
 * code, message and details), run on a worker thread of its own that ends with it (parse.worker.ts).
 */
import { StrataError, type WireError } from '../../../shared/errors';
import { startWorker, workerEntry } from '../../engine/workers/client';
import type { ParsedImport } from './index';
import type { ParseRequest } from './parse.worker';

type Answer = { ok: true; value: ParsedImport } | { ok: false; error: WireError };

export function parseFilesOffThread(inputs: ParseRequest['inputs'], opts: ParseRequest['opts']): Promise<ParsedImport> {
  return new Promise<ParsedImport>((resolve, reject) => {
    const worker = startWorker(workerEntry('import-parse'), {});
    let settled = false;
    const done = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      void worker.terminate();
    };
    worker.once('message', (a: Answer) =>
      done(() => (a.ok ? resolve(a.value) : reject(new StrataError(a.error.code, a.error.message, a.error.details)))),
    );
    worker.once('error', (err) =>
      done(() => reject(new StrataError('INTERNAL', `import parse: the parsing thread failed: ${err.message}`))),
    );
    worker.once('exit', (code) =>
      done(() => reject(new StrataError('INTERNAL', `import parse: the parsing thread exited with ${code}`))),
    );
    worker.postMessage({ inputs, opts } satisfies ParseRequest);
  });
}
