/**
 * The streaming array reader: elements come out one at a time exactly as JSON.parse of the whole file gives them
 * (strings holding brackets, quotes, escapes and multi-byte text included), and a broken file is refused naming
 * the element and its byte offset. The ChatGPT importer reads a large export through it with the same result as
 * from the text.
 */
import { describe, expect, it } from 'vitest';
import { parseFiles } from '.';
import { arrayElements, firstElement } from './json-stream';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const all = (s: string) => [...arrayElements(bytes(s), 'f.json')].map((e) => e.value);
const refusal = (f: () => unknown): { code: string; message: string } => {
  try {
    f();
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected a refusal');
};

describe('arrayElements', () => {
  it('yields each element as JSON.parse gives it, with tricky strings, nesting, scalars and a BOM', () => {
    const value = [
      { a: 'br]ck}ets [ { inside', b: 'a "quoted" \\ backslash\\', c: [1, [2, { d: null }]] },
      'ünïcödé 😀 \u2028 line',
      42,
      -1.5e3,
      true,
      null,
      [],
      {},
      'ends with backslash \\',
    ];
    const text = `\ufeff \n${JSON.stringify(value, null, 2)}\n`;
    expect(all(text)).toEqual(value);
    expect(all('[]')).toEqual([]);
    expect(all(' [ ] ')).toEqual([]);
  });

  it('gives each element its index and byte offset', () => {
    const els = [...arrayElements(bytes('[{"a":"é"},  {"b":2}]'), 'f.json')];
    expect(els.map((e) => [e.index, e.offset])).toEqual([
      [0, 1],
      [1, 14],
    ]);
  });

  it.each([
    ['not an array', '{"a":1}', /^f\.json: expected an array/],
    ['a broken element', '[{"a":1},{"b":,}]', /^f\.json\[1\] \(byte 9\): not valid JSON/],
    ['a truncated file', '[{"a":1},{"b":"x', /^f\.json\[1\] \(byte 9\): a string that never closes/],
    ['a truncated object', '[{"a":1},{"b":[1,2', /^f\.json\[1\] \(byte 9\): the file ends inside this value/],
    ['a missing comma', '[{"a":1} {"b":2}]', /^f\.json byte 9: expected ',' or '\]'/],
    ['content after the array', '[1] x', /^f\.json byte 4: unexpected content after the array/],
    ['an unclosed array', '[1, 2', /^f\.json byte 5: the file ends before the array closes/],
  ])('refuses %s naming the place', (_why, text, message) => {
    const err = refusal(() => all(text));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toMatch(message);
  });

  it('refuses bytes that are not UTF-8 inside an element', () => {
    const b = new Uint8Array([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]);
    expect(refusal(() => [...arrayElements(b, 'f.json')]).message).toMatch(
      /^f\.json\[0\] \(byte 1\): not valid JSON \(not UTF-8 text\)/,
    );
  });

  it('firstElement reads only the first element (a broken later one does not matter)', () => {
    expect(firstElement(bytes('[{"mapping":{}}, {broken'), 'f.json')).toEqual({ mapping: {} });
    expect(firstElement(bytes('{"a":1}'), 'f.json')).toBeUndefined();
  });
});

describe('ChatGPT export read one conversation at a time', () => {
  const conversation = (c: number) => ({
    id: `conv-${c}`,
    title: `T ${c} "quoted" ]`,
    create_time: 1_600_000_000 + c,
    current_node: 'b',
    mapping: {
      r: { id: 'r', parent: null, children: ['a'], message: null },
      a: {
        id: 'a',
        parent: 'r',
        children: ['b'],
        message: {
          id: `m${c}a`,
          author: { role: 'user' },
          create_time: 1_600_000_000 + c,
          content: { content_type: 'text', parts: [`hello ${c} } ]`] },
        },
      },
      b: {
        id: 'b',
        parent: 'a',
        children: [],
        message: {
          id: `m${c}b`,
          author: { role: 'assistant' },
          create_time: null,
          content: { content_type: 'text', parts: ['ok 😀'] },
        },
      },
    },
  });
  const text = JSON.stringify(Array.from({ length: 50 }, (_, c) => conversation(c)));

  it('gives the same sessions from the bytes as from the text', () => {
    const fromBytes = parseFiles([{ path: 'conversations.json', bytes: bytes(text) }], { name: 'x' });
    const fromText = parseFiles([{ path: 'conversations.json', text }], { name: 'x' });
    expect(fromBytes.format).toBe('chatgpt');
    expect(fromBytes.sessions.length).toBe(50);
    expect(fromBytes.sessions).toEqual(fromText.sessions);
    // Read from the bytes: the whole text was never decoded nor parsed as one tree.
    expect(fromBytes.files[0]?.json).toBeUndefined();
  });

  it('a conversation broken mid-file is refused naming its index and byte offset, nothing parsed', () => {
    const broken = `${text.slice(0, -1)},{"id":"x","mapping":{"a":}}]`;
    const err = refusal(() => parseFiles([{ path: 'conversations.json', bytes: bytes(broken) }], { name: 'x' }));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toMatch(
      new RegExp(`^conversations\\.json\\[50\\] \\(byte ${bytes(text).length}\\): not valid JSON`),
    );
  });
});
