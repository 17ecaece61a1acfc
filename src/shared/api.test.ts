import { describe, expect, it } from 'vitest';
import { API, checkArgs, STRATA_METHODS } from './api';
import { StrataError } from './errors';
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
