import { describe, expect, it } from 'vitest';
import { chunkId, entityId, entityIdForKey, episodeId, factId, idKind, relationshipId } from './ids';
import { normalizeKey, STOP_WORDS, words } from './text';

describe('the id scheme', () => {
  it('mints each kind with its prefix, deterministically', () => {
    expect(chunkId('conv-26:D1:3')).toBe('chunk:conv-26:D1:3');
    expect(chunkId('m1', 2)).toBe('chunk:m1#2');
    expect(episodeId('chunk:m1')).toBe('episode:chunk:m1');
    expect(factId('episode:chunk:m1', 'Caroline lives in Boston')).toMatch(/^fact:[0-9a-f]{16}$/);
    // Spelling that normalises alike is the same fact, the same entity, the same relationship.
    expect(factId('e', 'Caroline  lives in Boston!')).toBe(factId('e', 'caroline lives in boston'));
    expect(factId('e1', 'x')).not.toBe(factId('e2', 'x'));
    expect(entityId("Melanie's")).toBe('entity:melanie');
    expect(entityIdForKey(normalizeKey('The Support Group'))).toBe(entityId('the support group'));
    expect(relationshipId('Caroline', 'friend of', 'Melanie')).toBe(
      relationshipId('caroline', 'Friend  of', "Melanie's"),
    );
    expect(relationshipId('Caroline', 'friend of', 'Melanie')).not.toBe(
      relationshipId('Melanie', 'friend of', 'Caroline'),
    );
  });

  it('parses the kind back, and nothing from ids outside the scheme', () => {
    for (const id of [
      chunkId('a:b'),
      episodeId('chunk:a'),
      factId('e', 't'),
      entityId('x'),
      relationshipId('a', 'b', 'c'),
    ]) {
      expect(id.startsWith(`${idKind(id)}:`)).toBe(true);
    }
    expect(idKind('conv-26:D1:3')).toBe('');
    expect(idKind('plain')).toBe('');
    expect(idKind(':chunk')).toBe('');
  });
});

describe('the text module', () => {
  it('splits words as FTS5 does and names stop words once', () => {
    expect(words('Don’t STOP—me now')).toEqual(['don', 't', 'stop', 'me', 'now']);
    expect(STOP_WORDS.has('the')).toBe(true);
    expect(STOP_WORDS.has('boston')).toBe(false);
  });
});
