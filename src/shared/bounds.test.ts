import { describe, expect, it } from 'vitest';
import { checkArgs, type StrataMethod } from './api';
import { StrataError } from './errors';
import { MAX_METADATA_BYTES, MAX_METADATA_DEPTH } from './schema';

/** The code and field a call is refused with at the API edge. */
function refusal(method: StrataMethod, args: unknown[]): { code: string; field: unknown; message: string } {
  try {
    checkArgs(method, args);
  } catch (err) {
    if (err instanceof StrataError) return { code: err.code, field: err.details?.field, message: err.message };
    throw err;
  }
  throw new Error(`${method} was accepted`);
}

const msg = (extra: Record<string, unknown>) => ['s', [{ text: 'hello', ...extra }]];
const nested = (levels: number): Record<string, unknown> => {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < levels; i++) v = { n: v };
  return v;
};

describe('input bounds at the API edge', () => {
  it.each([
    ['a lone high surrogate', 'abc\uD800'],
    ['a lone low surrogate', '\uDC00abc'],
    ['a NUL', 'a\u0000b'],
    ['a newline', 'line\nbreak'],
    ['a C1 control', 'x\u0085'],
    ['too long', 'i'.repeat(257)],
  ])('refuses an id with %s, naming the field', (_, id) => {
    expect(refusal('createSession', [{ id }])).toMatchObject({ code: 'INVALID_INPUT', field: 'session.id' });
    expect(refusal('addMessages', msg({ id }))).toMatchObject({ code: 'INVALID_INPUT', field: 'messages[0].id' });
    expect(refusal('addMessages', [id, [{ text: 'hi' }]])).toMatchObject({ field: 'sessionId' });
    expect(refusal('get', [id])).toMatchObject({ code: 'INVALID_INPUT', field: 'id' });
    expect(refusal('deleteMessage', [id])).toMatchObject({ field: 'messageId' });
    expect(refusal('query', [{ text: 'x', sessionIds: [id] }])).toMatchObject({ field: 'query.sessionIds[0]' });
  });

  it('accepts well-formed ids: astral characters (surrogate pairs), accents, spaces, 256 characters', () => {
    for (const id of ['😀-id', 'Zürich café', 'D3:14', 'i'.repeat(256)]) {
      expect(() => checkArgs('createSession', [{ id }])).not.toThrow();
      expect(checkArgs('get', [id])).toEqual([id]);
    }
  });

  it('refuses a speaker or external id with a lone surrogate, and says why', () => {
    expect(refusal('addMessages', msg({ speaker: 'Ann\uD83D' }))).toEqual({
      code: 'INVALID_INPUT',
      field: 'messages[0].speaker',
      message: 'messages[0].speaker: not well-formed Unicode (a lone surrogate)',
    });
    expect(refusal('addMessages', msg({ externalId: '\uDE00' }))).toMatchObject({ field: 'messages[0].externalId' });
  });

  it('refuses metadata nested too deep, naming the path where it goes too deep', () => {
    expect(checkArgs('addMessages', msg({ metadata: nested(MAX_METADATA_DEPTH - 1) }))).toHaveLength(2);
    const r = refusal('addMessages', msg({ metadata: nested(MAX_METADATA_DEPTH + 40) }));
    expect(r.code).toBe('INVALID_INPUT');
    expect(r.field).toBe(`messages[0].metadata${'.n'.repeat(MAX_METADATA_DEPTH)}`);
    expect(r.message).toMatch(/nested deeper than 8 levels$/);
    // A cycle is too deep as well, not a crash.
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(refusal('addMessages', msg({ metadata: cyclic }))).toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('refuses metadata over its size, naming the field', () => {
    const big = { blob: 'x'.repeat(MAX_METADATA_BYTES) };
    const r = refusal('addMessages', msg({ metadata: big }));
    expect(r).toMatchObject({ code: 'INVALID_INPUT', field: 'messages[0].metadata' });
    expect(r.message).toMatch(/over the limit of 16384$/);
    expect(checkArgs('addMessages', msg({ metadata: { blob: 'x'.repeat(1000) } }))).toHaveLength(2);
  });

  it.each([
    ['a negative epoch', -1],
    ['after year 9999', Date.UTC(10_000, 0, 1)],
    ['a date string before 1970', '1969-12-31T23:59:59Z'],
    ['a date string after 9999', '+010000-01-01T00:00:00Z'],
  ])('refuses a timestamp %s, naming the field', (_, ts) => {
    expect(refusal('addMessages', msg({ timestamp: ts }))).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'messages[0].timestamp',
    });
    expect(refusal('createSession', [{ startedAt: ts }])).toMatchObject({ field: 'session.startedAt' });
    expect(refusal('query', [{ text: 'x', from: ts }])).toMatchObject({ field: 'query.from' });
  });

  it('accepts timestamps from 1970 to 9999, as numbers or dates', () => {
    for (const ts of [0, Date.UTC(2023, 4, 8), '2023-05-08T13:00:00Z', Date.UTC(9999, 11, 31)]) {
      expect(checkArgs('addMessages', msg({ timestamp: ts }))).toHaveLength(2);
    }
  });
});
