import { describe, expect, it } from 'vitest';
import { humanDate, humanRange, plural } from './format';

const NOW = Date.UTC(2026, 11, 1, 12, 0);

describe('humanDate', () => {
  it('says a date at the precision it carries', () => {
    expect(humanDate(Date.UTC(2022, 0, 1), NOW, true)).toBe('2022');
    expect(humanDate(Date.UTC(2023, 4, 1), NOW, true)).toBe('May 2023');
    expect(humanDate(Date.UTC(2023, 4, 7), NOW, true)).toBe('7 May 2023');
    expect(humanDate(Date.UTC(2023, 4, 7, 13, 56), NOW, true)).toBe('7 May 2023, 13:56');
  });

  it('uses words for the last week', () => {
    expect(humanDate(Date.UTC(2026, 11, 1, 9, 5), NOW, true)).toBe('today, 09:05');
    expect(humanDate(Date.UTC(2026, 10, 30), NOW, true)).toBe('yesterday');
    expect(humanDate(Date.UTC(2026, 10, 28, 8, 0), NOW, true)).toBe('3 days ago, 08:00');
    expect(humanDate(Date.UTC(2026, 10, 20), NOW, true)).toBe('20 Nov 2026');
  });

  it('shows nothing it does not know', () => {
    expect(humanDate(null, NOW)).toBe('—');
    expect(humanDate(undefined, NOW)).toBe('—');
    expect(humanDate(Number.NaN, NOW)).toBe('—');
  });
});

describe('humanRange', () => {
  it('names a whole year, month or day once', () => {
    expect(humanRange(Date.UTC(2022, 0, 1), Date.UTC(2023, 0, 1), NOW, true)).toBe('2022');
    expect(humanRange(Date.UTC(2023, 4, 1), Date.UTC(2023, 5, 1), NOW, true)).toBe('May 2023');
    expect(humanRange(Date.UTC(2023, 4, 8), Date.UTC(2023, 4, 9), NOW, true)).toBe('8 May 2023');
  });

  it('gives a span of days its first and last day, and other spans both ends', () => {
    expect(humanRange(Date.UTC(2023, 4, 5), Date.UTC(2023, 4, 12), NOW, true)).toBe('5 May 2023 – 11 May 2023');
    expect(humanRange(Date.UTC(2023, 4, 5, 10), Date.UTC(2023, 4, 5, 12), NOW, true)).toBe(
      '5 May 2023, 10:00 – 5 May 2023, 12:00',
    );
  });
});

describe('plural', () => {
  it('agrees with its number', () => {
    expect(plural(1, 'session')).toBe('1 session');
    expect(plural(2, 'session')).toBe('2 sessions');
    expect(plural(0, 'entry', 'entries')).toBe('0 entries');
    expect(plural(12345, 'message')).toBe('12,345 messages');
  });
});
