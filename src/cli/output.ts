/**
 * How the CLI answers: human text or `--json` on stdout, errors on stderr (as `{code, message, details}` with
 * `--json`), and an exit code per kind of failure, so scripts can tell a bad file from a locked store.
 */
import { toWireError, type WireError } from '../shared/errors';

/** 0 ok · 1 internal · 2 usage · 3 invalid input · 4 not found · 5 store locked · 6 damaged or newer data · 130 interrupted. */
export const EXIT = { ok: 0, internal: 1, usage: 2, invalid: 3, notFound: 4, locked: 5, data: 6, interrupted: 130 };

export function exitCodeOf(err: WireError): number {
  switch (err.code) {
    case 'INVALID_INPUT':
      return EXIT.invalid;
    case 'NOT_FOUND':
    case 'UNKNOWN_SESSION':
      return EXIT.notFound;
    case 'STORE_LOCKED':
    case 'DIR_NOT_WRITABLE':
      return EXIT.locked;
    case 'STORE_CORRUPT':
    case 'STORE_UNAVAILABLE':
    case 'SCHEMA_TOO_NEW':
    case 'EMBEDDER_MISMATCH':
    case 'DIMENSION_MISMATCH':
      return EXIT.data;
    default:
      return EXIT.internal;
  }
}

export class Output {
  constructor(readonly json: boolean) {}

  /** The command's result: `human` printed as text, or `value` as one JSON document. */
  result(value: unknown, human: () => string): void {
    process.stdout.write(this.json ? `${JSON.stringify(value)}\n` : `${human()}\n`);
  }

  /** A remark for people (progress, what is about to happen): stderr, never mixed into --json stdout. */
  info(text: string): void {
    if (!this.json) process.stderr.write(`${text}\n`);
  }

  error(err: unknown): number {
    const wire = toWireError(err);
    if (this.json) process.stderr.write(`${JSON.stringify(wire)}\n`);
    else process.stderr.write(`strata: ${wire.code}: ${wire.message}\n`);
    return exitCodeOf(wire);
  }
}

export const plural = (n: number, one: string, many = `${one}s`): string =>
  `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
