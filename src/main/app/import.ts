/**
 * Import: parses a whole file (LoCoMo JSON, a JSON array of messages, or plain text) into sessions and
 * validated messages before anything is written, so a bad file is refused with its reason and leaves the
 * data untouched; then writes it session by session, in batches, reporting per-layer progress, until done
 * or cancelled.
 */
import { randomUUID } from 'node:crypto';
import { type ImportInput, MAX_IMPORT_MESSAGES } from '../../shared/app-schema';
import type { ImportFormat, ImportJob } from '../../shared/app-types';
import { StrataError, toWireError } from '../../shared/errors';
import { type MessageInput, messageInputSchema, parseInput, type SessionInput } from '../../shared/schema';
import type { Engine } from '../engine/engine';

export interface ParsedSession {
  session: SessionInput & { id: string; title: string };
  messages: MessageInput[];
}

const BATCH = 200;
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

const refuse = (field: string, why: string): StrataError =>
  new StrataError('INVALID_INPUT', `${field}: ${why}`, { field });

/** "1:56 pm on 8 May, 2023" → epoch ms (local time), or null. */
export function parseLocomoDate(s: string): number | null {
  const m = /(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})/i.exec(s);
  if (!m) return null;
  const [, hh, mm, ap, day, month, year] = m as unknown as [string, string, string, string, string, string, string];
  const monthIndex = MONTHS.indexOf(month.toLowerCase());
  if (monthIndex < 0) return null;
  const hour = (Number(hh) % 12) + (ap.toLowerCase() === 'pm' ? 12 : 0);
  return new Date(Number(year), monthIndex, Number(day), hour, Number(mm)).getTime();
}

export function guessFormat(content: string): ImportFormat {
  const head = content.trimStart();
  if (!head.startsWith('[') && !head.startsWith('{')) return 'text';
  return /"conversation"\s*:/.test(content.slice(0, 200_000)) ? 'locomo' : 'messages';
}

function parseJson(content: string): unknown {
  try {
    return JSON.parse(content);
  } catch (err) {
    throw refuse('file', `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

function checked(message: MessageInput, field: string): MessageInput {
  parseInput(messageInputSchema, message, field);
  return message;
}

function parseLocomo(content: string, samples: string[] | undefined): ParsedSession[] {
  const raw = parseJson(content);
  const list = Array.isArray(raw) ? raw : [raw];
  const out: ParsedSession[] = [];
  let kept = 0;
  list.forEach((c: unknown, ci) => {
    const f = Array.isArray(raw) ? `file[${ci}]` : 'file';
    if (c === null || typeof c !== 'object') throw refuse(f, 'expected a LoCoMo conversation object');
    const { sample_id: sampleId, conversation: conv } = c as { sample_id?: unknown; conversation?: unknown };
    if (typeof sampleId !== 'string' || sampleId.length === 0) throw refuse(`${f}.sample_id`, 'required');
    if (conv === null || typeof conv !== 'object') throw refuse(`${f}.conversation`, 'expected an object');
    if (samples && !samples.includes(sampleId)) return;
    kept++;
    const sessions = conv as Record<string, unknown>;
    const speakers = [sessions.speaker_a, sessions.speaker_b].filter((s): s is string => typeof s === 'string');
    let found = 0;
    for (let n = 1; sessions[`session_${n}`] !== undefined; n++) {
      const key = `session_${n}`;
      const turns = sessions[key];
      const sf = `${f}.conversation.${key}`;
      if (!Array.isArray(turns)) throw refuse(sf, 'expected an array of turns');
      const when = sessions[`${key}_date_time`];
      const startedAt = typeof when === 'string' ? parseLocomoDate(when) : null;
      if (startedAt === null) throw refuse(`${sf}_date_time`, `not a LoCoMo date: ${JSON.stringify(when)}`);
      found++;
      if (turns.length === 0) continue;
      const messages = turns.map((t: unknown, i) => {
        const tf = `${sf}[${i}]`;
        const turn = (t ?? {}) as { speaker?: unknown; text?: unknown; dia_id?: unknown; blip_caption?: unknown };
        if (typeof turn.dia_id !== 'string' || turn.dia_id.length === 0) throw refuse(`${tf}.dia_id`, 'required');
        if (typeof turn.speaker !== 'string') throw refuse(`${tf}.speaker`, 'required');
        if (typeof turn.text !== 'string') throw refuse(`${tf}.text`, 'required');
        const caption = typeof turn.blip_caption === 'string' && turn.blip_caption ? turn.blip_caption : null;
        return checked(
          {
            id: `${sampleId}:${turn.dia_id}`,
            role: 'user',
            speaker: turn.speaker,
            text: caption ? `${turn.text} [shares an image: ${caption}]` : turn.text,
            // Turns carry no clock of their own: a minute apart from the session's start.
            timestamp: startedAt + i * 60_000,
            externalId: turn.dia_id,
          },
          tf,
        );
      });
      out.push({
        session: {
          id: `${sampleId}:${key}`,
          title: `${sampleId} session ${n}`,
          participants: speakers,
          startedAt,
        },
        messages,
      });
    }
    if (found === 0) throw refuse(`${f}.conversation`, 'has no session_1');
  });
  if (samples && kept === 0) throw refuse('samples', `none of ${samples.join(', ')} is in the file`);
  return out;
}

const ROLES = new Set(['user', 'assistant', 'system']);

function parseMessages(content: string, title: string): ParsedSession[] {
  const raw = parseJson(content);
  const list = Array.isArray(raw) ? raw : (raw as { messages?: unknown })?.messages;
  if (!Array.isArray(list)) throw refuse('file', 'expected a JSON array of messages (or {"messages": [...]})');
  if (list.length === 0) throw refuse('file', 'the array holds no messages');
  const now = Date.now();
  const groups = new Map<string, MessageInput[]>();
  list.forEach((m: unknown, i) => {
    const f = `messages[${i}]`;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw refuse(f, 'expected an object');
    const r = m as Record<string, unknown>;
    const text = r.text ?? r.content;
    if (typeof text !== 'string') throw refuse(`${f}.text`, 'required');
    const speaker = r.speaker ?? r.name;
    if (speaker === undefined && r.role === undefined) throw refuse(`${f}.speaker`, 'needs a speaker or a role');
    if (r.role !== undefined && !ROLES.has(String(r.role))) {
      throw refuse(`${f}.role`, `expected user, assistant or system, got ${JSON.stringify(r.role)}`);
    }
    const ts = r.timestamp ?? r.time ?? r.date;
    const msg: MessageInput = {
      ...(typeof r.id === 'string' && { id: r.id }),
      ...(r.role !== undefined && { role: r.role as 'user' | 'assistant' | 'system' }),
      ...(speaker !== undefined && { speaker: speaker as string }),
      text,
      timestamp: (ts as number | string | undefined) ?? now + i * 1000,
    };
    checked(msg, f);
    const session = typeof r.session === 'string' && r.session.length > 0 ? r.session : '';
    const g = groups.get(session) ?? [];
    g.push(msg);
    groups.set(session, g);
  });
  return [...groups].map(([session, messages]) => ({
    session: {
      id: randomUUID(),
      title: session ? `${title} — ${session}` : title,
      participants: [...new Set(messages.map((m) => m.speaker ?? m.role ?? 'user'))],
    },
    messages,
  }));
}

function parseText(content: string, title: string): ParsedSession[] {
  const now = Date.now();
  const messages: MessageInput[] = [];
  for (const line of content.split(/\r?\n/)) {
    const t = line.trim();
    if (!t) continue;
    const m = /^([^:]{1,40}):\s+(.+)$/.exec(t);
    const last = messages[messages.length - 1];
    if (m) messages.push({ role: 'user', speaker: (m[1] as string).trim(), text: m[2] as string });
    else if (last) last.text = `${last.text}\n${t}`;
    else messages.push({ role: 'user', speaker: 'user', text: t });
  }
  if (messages.length === 0) throw refuse('file', 'holds no text');
  messages.forEach((m, i) => {
    m.timestamp = now + i * 1000;
    checked(m, `lines[${i}]`);
  });
  return [
    {
      session: { id: randomUUID(), title, participants: [...new Set(messages.map((m) => m.speaker ?? 'user'))] },
      messages,
    },
  ];
}

/** Parses and validates the whole input; throws INVALID_INPUT naming the place in the file. */
export function parseImport(input: ImportInput): { format: ImportFormat; sessions: ParsedSession[] } {
  const format = input.format ?? guessFormat(input.content);
  const title = input.title ?? input.name;
  const sessions =
    format === 'locomo'
      ? parseLocomo(input.content, input.samples)
      : format === 'messages'
        ? parseMessages(input.content, title)
        : parseText(input.content, title);
  const ids = new Set<string>();
  sessions.forEach((s, si) => {
    s.messages.forEach((m, mi) => {
      if (m.id === undefined) return;
      if (ids.has(m.id)) throw refuse(`sessions[${si}].messages[${mi}].id`, `duplicate id "${m.id}"`);
      ids.add(m.id);
    });
  });
  return { format, sessions };
}

interface Running {
  job: ImportJob;
  cancelled: boolean;
  /** Sessions whose last M0 batch is written: only builds after that count as progress. */
  written: Set<string>;
  built: Record<'m1' | 'm2', Set<string>>;
}

/** Runs imports one batch at a time and reports each job's progress through `onChange`. */
export class ImportJobs {
  private readonly jobs = new Map<string, Running>();

  constructor(
    private readonly engine: Engine,
    private readonly onChange: (job: ImportJob) => void,
  ) {}

  /** From the layer pipeline: a session's episodes or facts are built. */
  onBuilt(sessionId: string, layer: 'm1' | 'm2'): void {
    for (const r of this.jobs.values()) {
      if (r.job.state !== 'running' || !r.written.has(sessionId)) continue;
      const set = r.built[layer];
      if (set.has(sessionId)) continue;
      set.add(sessionId);
      if (layer === 'm2') r.built.m1.add(sessionId);
      r.job.progress.m1.done = r.built.m1.size;
      r.job.progress.m2.done = r.built.m2.size;
      this.onChange(structuredClone(r.job));
    }
  }

  /** Validates everything and checks nothing collides with what is stored, then starts writing in the background. */
  async start(input: ImportInput): Promise<ImportJob> {
    const { format, sessions } = parseImport(input);
    const existing = new Set((await this.engine.listSessions()).map((s) => s.id));
    const clash = sessions.find((s) => existing.has(s.session.id));
    if (clash) {
      throw refuse('file', `session ${clash.session.id} is already stored (this file was imported before)`);
    }
    const messages = sessions.reduce((n, s) => n + s.messages.length, 0);
    if (messages > MAX_IMPORT_MESSAGES) {
      throw refuse('file', `${messages} messages, over the limit of ${MAX_IMPORT_MESSAGES} per import: split the file`);
    }
    const job: ImportJob = {
      id: randomUUID(),
      name: input.name,
      format,
      state: 'running',
      sessions: sessions.length,
      messages,
      progress: {
        m0: { done: 0, total: messages },
        m1: { done: 0, total: sessions.length },
        m2: { done: 0, total: sessions.length },
      },
      sessionIds: sessions.map((s) => s.session.id),
      error: null,
      startedAt: Date.now(),
      finishedAt: null,
    };
    const run: Running = { job, cancelled: false, written: new Set(), built: { m1: new Set(), m2: new Set() } };
    this.jobs.set(job.id, run);
    void this.run(run, sessions);
    return structuredClone(job);
  }

  private async run(r: Running, sessions: ParsedSession[]): Promise<void> {
    await this.write(r, sessions);
    if (r.cancelled) {
      r.job.finishedAt = Date.now();
      this.onChange(structuredClone(r.job));
    }
  }

  private async write(r: Running, sessions: ParsedSession[]): Promise<void> {
    const { job } = r;
    const finish = (state: ImportJob['state'], error: ImportJob['error'] = null): void => {
      if (job.state !== 'running') return;
      job.state = state;
      job.error = error;
      job.finishedAt = Date.now();
      this.onChange(structuredClone(job));
    };
    try {
      for (const { session, messages } of sessions) {
        if (r.cancelled) return;
        await this.engine.createSession(session);
        for (let i = 0; i < messages.length; i += BATCH) {
          if (r.cancelled) return;
          const batch = messages.slice(i, i + BATCH);
          await this.engine.addMessages(session.id, batch);
          job.progress.m0.done += batch.length;
          this.onChange(structuredClone(job));
        }
        r.written.add(session.id);
      }
      if (this.engine.buildLayers) {
        await this.engine.flush();
      }
      if (r.cancelled) return;
      job.progress.m1.done = job.progress.m1.total;
      job.progress.m2.done = job.progress.m2.total;
      finish('done');
    } catch (err) {
      const wire = toWireError(err);
      finish('failed', { code: wire.code, message: wire.message });
    }
  }

  get(jobId: string): ImportJob {
    const r = this.jobs.get(jobId);
    if (!r) throw new StrataError('NOT_FOUND', `jobId: no import "${jobId}"`, { field: 'jobId' });
    return structuredClone(r.job);
  }

  cancel(jobId: string): ImportJob {
    const r = this.jobs.get(jobId);
    if (!r) throw new StrataError('NOT_FOUND', `jobId: no import "${jobId}"`, { field: 'jobId' });
    if (r.job.state === 'running') {
      // finishedAt stays null until the batch in flight is written and the run stops.
      r.cancelled = true;
      r.job.state = 'cancelled';
      this.onChange(structuredClone(r.job));
    }
    return structuredClone(r.job);
  }
}
