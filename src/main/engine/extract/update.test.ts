import { describe, expect, it } from 'vitest';
import type { HeldFact } from './types';
import { decideUpdate, normalizeKey } from './update';

const day = (d: number, month = 4) => new Date(2023, month, d).getTime();

const held = (id: string, over: Partial<HeldFact>): HeldFact => ({
  id,
  subject: 'Caroline',
  predicate: 'live in',
  object: 'Boston',
  stateful: true,
  validFrom: day(1),
  validTo: null,
  ...over,
});

describe('normalizeKey', () => {
  it('ignores case, spacing, curly possessives, punctuation and a leading article', () => {
    expect(normalizeKey('  The LGBTQ   Support Group’s ')).toBe('lgbtq support group');
    expect(normalizeKey("Melanie's")).toBe('melanie');
    expect(normalizeKey('a charity race!')).toBe('charity race');
    expect(normalizeKey('Go  To')).toBe('go to');
    expect(normalizeKey('the kids’')).toBe('kids');
  });
});

describe('decideUpdate', () => {
  it('adds a fact when nothing is held about it', () => {
    const d = decideUpdate(
      { subject: 'Caroline', predicate: 'live in', object: 'Boston', stateful: true, validFrom: day(1) },
      [],
    );
    expect(d).toEqual({ action: 'add', reason: 'new state: "Caroline live in Boston"' });
  });

  it('treats a repeat of a still-valid state as a noop, whatever its case or article', () => {
    const d = decideUpdate(
      { subject: 'caroline', predicate: 'Live in', object: 'the Boston', stateful: true, validFrom: day(9) },
      [held('f1', {})],
    );
    expect(d.action).toBe('noop');
    if (d.action === 'noop') {
      expect(d.existingId).toBe('f1');
      expect(d.reason).toContain('repeats held fact f1');
    }
  });

  it('does not count a repeat of a fact that was already closed', () => {
    const d = decideUpdate(
      { subject: 'Caroline', predicate: 'live in', object: 'Boston', stateful: true, validFrom: day(20) },
      [held('f1', { validTo: day(10) })],
    );
    expect(d.action).toBe('add');
  });

  it('lets a new state supersede the most recent still-valid state, naming both objects', () => {
    const d = decideUpdate(
      { subject: 'Caroline', predicate: 'live in', object: 'Paris', stateful: true, validFrom: day(20) },
      [
        held('f1', { object: 'Boston', validFrom: day(1) }),
        held('f2', { object: 'London', validFrom: day(10) }),
        held('f0', { object: 'Rome', validFrom: day(15), validTo: day(16) }),
      ],
    );
    expect(d.action).toBe('update');
    if (d.action === 'update') {
      expect(d.supersedes).toBe('f2');
      expect(d.reason).toContain('"London"');
      expect(d.reason).toContain('"Paris"');
    }
  });

  it('lets states of a many-valued predicate accumulate: liking hiking does not end liking painting', () => {
    const d = decideUpdate(
      { subject: 'Melanie', predicate: 'like', object: 'hiking', stateful: true, validFrom: day(20) },
      [held('p1', { predicate: 'like', object: 'painting', validFrom: day(1) })],
    );
    expect(d).toEqual({ action: 'add', reason: 'new state, alongside any others: "Melanie like hiking"' });
  });

  it('never lets an event supersede, and never supersedes an event', () => {
    const event = decideUpdate(
      { subject: 'Caroline', predicate: 'go to', object: 'pride parade', stateful: false, validFrom: day(20) },
      [held('e1', { predicate: 'go to', object: 'LGBTQ support group', stateful: false, validFrom: day(7) })],
    );
    expect(event).toEqual({ action: 'add', reason: 'new event: "Caroline go to pride parade"' });

    const stateOverEvent = decideUpdate(
      { subject: 'Caroline', predicate: 'go to', object: 'pride parade', stateful: true, validFrom: day(20) },
      [held('e1', { predicate: 'go to', object: 'LGBTQ support group', stateful: false, validFrom: day(7) })],
    );
    expect(stateOverEvent.action).toBe('add');
  });

  it('treats the same event on the same day as a repeat, and on another day as a new event', () => {
    const seen = held('e1', { predicate: 'go to', object: 'support group', stateful: false, validFrom: day(7) });
    const sameDay = decideUpdate(
      {
        subject: 'Caroline',
        predicate: 'go to',
        object: 'a support group',
        stateful: false,
        validFrom: day(7) + 3600_000,
      },
      [seen],
    );
    expect(sameDay.action).toBe('noop');
    const nextWeek = decideUpdate(
      { subject: 'Caroline', predicate: 'go to', object: 'support group', stateful: false, validFrom: day(14) },
      [seen],
    );
    expect(nextWeek.action).toBe('add');
  });

  it('keeps a state reported as of an earlier time as history instead of superseding the current one', () => {
    const d = decideUpdate(
      { subject: 'Caroline', predicate: 'live in', object: 'Boston', stateful: true, validFrom: day(1) },
      [held('f2', { object: 'Paris', validFrom: day(20) })],
    );
    expect(d.action).toBe('add');
    expect(d.reason).toContain('history');
  });
});
