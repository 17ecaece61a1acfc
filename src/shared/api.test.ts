import { describe, expect, it } from 'vitest';
import { API, checkArgs, STRATA_METHODS } from './api';
import { StrataError, toWireError } from './errors';
import { messagesInputSchema, parseInput, sessionInputSchema } from './schema';

function refusal(run: () => unknown): { code: string; message: string; field: unknown } {
  try {
    run();
  } catch (err) {
    if (err instanceof StrataError) return { code: err.code, message: err.message, field: err.details?.field };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('the API table', () => {
  it('names every method once, in one table', () => {
    expect(STRATA_METHODS).toEqual(Object.keys(API));
    expect(new Set(STRATA_METHODS).size).toBe(STRATA_METHODS.length);
    expect(STRATA_METHODS).toEqual(expect.arrayContaining(['addMessages', 'query', 'startImport', 'cancelImport']));
  });

  it('checks arguments at the edge: a missing one, an extra one, a bad field, by name', () => {
    expect(refusal(() => checkArgs('get', []))).toEqual({
      code: 'INVALID_INPUT',
      message: 'id: required',
      field: 'id',
    });
    expect(refusal(() => checkArgs('get', ['a', 'b']))).toMatchObject({ code: 'INVALID_INPUT', field: 'args' });
    expect(refusal(() => checkArgs('addMessages', ['s', [{ text: 3 }]]))).toMatchObject({
      field: 'messages[0].text',
    });
    // null is "left out" for an optional argument (JSON has no undefined).
    expect(checkArgs('listTraces', [null])).toEqual([undefined]);
  });

  it('parses once: what the edge checked is trusted by the same schema inside, not parsed again', () => {
    const [, messages] = checkArgs('addMessages', ['s', [{ text: 'hello' }]]) as [string, unknown[]];
    // Defaults were applied at the edge.
    expect(messages).toEqual([{ text: 'hello', role: 'user' }]);
    expect(parseInput(messagesInputSchema, messages, 'messages')).toBe(messages);
    // Another schema, or an object the edge never saw, is parsed as usual.
    expect(refusal(() => parseInput(sessionInputSchema, messages, 'session'))).toMatchObject({ field: 'session' });
    const fresh = [{ text: 'hello' }];
    expect(parseInput(messagesInputSchema, fresh, 'messages')).not.toBe(fresh);
  });
});

describe('errors coming back from a worker', () => {
  it('name the call they came from, keep a field-naming message field-first, and keep the worker stack', () => {
    const internal = StrataError.fromWire(
      { code: 'INTERNAL', message: 'no such table', stack: 'Error: no such table\n    at worker.js:1:1' },
      'graph.append',
    );
    expect(internal.message).toBe('graph.append: no such table');
    expect(internal.stack).toContain('at worker.js:1:1');
    const field = StrataError.fromWire(
      { code: 'INVALID_INPUT', message: 'messages[1].id: exists', details: { field: 'messages[1].id' } },
      'core.append',
    );
    expect(field.message).toBe('messages[1].id: exists');
    expect(field.details).toEqual({ field: 'messages[1].id', call: 'core.append' });
  });

  it('carry the stack only when asked (worker threads in development), never at the API edge', () => {
    const err = new StrataError('INTERNAL', 'boom');
    expect(toWireError(err).stack).toBeUndefined();
    expect(toWireError(err, { stack: true }).stack).toContain('boom');
    // A code-carrying plain object keeps its details too.
    expect(toWireError({ code: 'NOT_FOUND', message: 'gone', details: { field: 'id' } })).toEqual({
      code: 'NOT_FOUND',
      message: 'gone',
      details: { field: 'id' },
    });
  });
});
