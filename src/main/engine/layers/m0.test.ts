import { describe, expect, it } from 'vitest';
import { type ChunkSource, countTokens, planChunks } from './m0';

const msg = (id: string, speaker: string, text: string, timestamp = 0): ChunkSource => ({
  id,
  speaker,
  text,
  timestamp,
});

describe('M0 chunking', () => {
  it('gives a message of some length its own chunk, prefixed with the speaker', () => {
    const plans = planChunks([
      msg('a', 'Caroline', 'I went to a LGBTQ support group yesterday and it was so powerful.'),
    ]);
    expect(plans).toEqual([
      {
        id: 'chunk:a',
        text: 'Caroline: I went to a LGBTQ support group yesterday and it was so powerful.',
        messageIds: ['a'],
        speakers: ['Caroline'],
        timestamp: 0,
      },
    ]);
  });

  it('merges a run of short messages, and never merges past a long one', () => {
    const plans = planChunks([
      msg('a', 'Caroline', 'Hey Mel!'),
      msg('b', 'Melanie', 'Hi Caroline, how are you?'),
      msg('c', 'Caroline', 'I went to a LGBTQ support group yesterday and it was so powerful.'),
      msg('d', 'Melanie', 'Wow!'),
    ]);
    expect(plans.map((p) => p.messageIds)).toEqual([['a', 'b'], ['c'], ['d']]);
    expect(plans[0]?.text).toBe('Caroline: Hey Mel!\nMelanie: Hi Caroline, how are you?');
    expect(plans[0]?.speakers).toEqual(['Caroline', 'Melanie']);
  });

  it('keeps merged chunks under the token budget', () => {
    const shorts = Array.from({ length: 30 }, (_, i) => msg(`m${i}`, 'A', 'ok sounds good to me'));
    const plans = planChunks(shorts, { shortTokens: 12, mergedTokens: 20, maxTokens: 256 });
    expect(plans.flatMap((p) => p.messageIds)).toEqual(shorts.map((m) => m.id));
    for (const p of plans) expect(p.messageIds.length * 5).toBeLessThanOrEqual(20);
  });

  it('splits a long message at sentence ends into bounded chunks that all point to it', () => {
    const sentence = 'We hiked up the ridge and watched the sunrise over the lake with the kids. ';
    const plans = planChunks([msg('long', 'Melanie', sentence.repeat(40))], {
      shortTokens: 12,
      mergedTokens: 48,
      maxTokens: 64,
    });
    expect(plans.length).toBeGreaterThan(5);
    expect(plans.map((p) => p.id).slice(0, 2)).toEqual(['chunk:long', 'chunk:long#2']);
    for (const p of plans) {
      expect(p.messageIds).toEqual(['long']);
      expect(countTokens(p.text)).toBeLessThanOrEqual(64 + 2);
      expect(p.text.startsWith('Melanie: We hiked')).toBe(true);
    }
  });
});
