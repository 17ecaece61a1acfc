/**
 * The one import pipeline (app, CLI and benchmark): parse and validate the whole input first (a bad file is
 * refused with the place in it, nothing written), compare it with what is stored (a message whose source id is
 * already there is a duplicate and is skipped, so a second import of the same export writes nothing and a newer
 * export adds only what is new), then write in batches with per-layer progress until done or cancelled. What a
 * job wrote can be removed again (a cancelled job's partial writes); a killed import is resumed by importing the
 * same input again, since everything already written is recognised.
 */
import { randomUUID } from 'node:crypto';
import type { ImportInput } from '../../shared/app-schema';
import type { ImportFormat, ImportJob, ImportPreview } from '../../shared/app-types';
import { StrataError, toWireError } from '../../shared/errors';
import { parseInput, sessionInputSchema } from '../../shared/schema';
import type { Engine } from '../engine/engine';
import { type ImporterOptions, type ParsedSession, parseFiles, type RawInput, type ZIP_LIMITS } from './importers';
import { parseFilesOffThread } from './importers/parse-off-thread';

export type { ParsedSession } from './importers';
export { parseLocomoDate } from './importers';

const BATCH = 500;
/**
 * The bulk path for new sessions: messages per journal write (one transaction and one fan-out each, however many
 * sessions they span), and how many such writes are in flight at once. The next group is validated, chunked and
 * embedded on this thread while the one before is journaled and applied by the workers; no more than `window`
 * groups are ever held beyond the plan, so memory stays flat, and a cancel stops after at most `window` groups.
 * The app keeps groups small and one in flight so a cancel stops soon; the CLI (and its benchmark) asks for BULK.
 */
const GROUP = 200;
export const BULK = { group: 2_000, window: 2 };

/** The input parsed and compared with the store: what would be written, and what is already there. */
export interface ImportPlan {
  name: string;
  format: ImportFormat;
  /** Sessions with only their new messages; `exists` marks a session that is already stored. */
  sessions: (ParsedSession & { exists: boolean })[];
  preview: ImportPreview;
}

/** The API's input (text, or base64 bytes for a ZIP) as the pipeline's raw inputs and options. */
export function rawInputs(input: ImportInput): {
  inputs: RawInput[];
  opts: ImporterOptions & { format?: ImportFormat };
} {
  const bytes = input.encoding === 'base64' ? Buffer.from(input.content, 'base64') : undefined;
  return {
    inputs: [bytes ? { path: input.name, bytes: new Uint8Array(bytes) } : { path: input.name, text: input.content }],
    opts: {
      name: input.name,
      ...(input.title !== undefined && { title: input.title }),
      ...(input.samples && { samples: input.samples }),
      ...(input.user && { user: input.user }),
      ...(input.dayFirst !== undefined && { dayFirst: input.dayFirst }),
      ...(input.format && { format: input.format }),
    },
  };
}

/** Parses and validates a whole input (no engine): the format and sessions, or INVALID_INPUT naming the place. */
export function parseImport(input: ImportInput): { format: ImportFormat; sessions: ParsedSession[] } {
  const { inputs, opts } = rawInputs(input);
  const r = parseFiles(inputs, opts);
  return { format: r.format, sessions: r.sessions };
}

/** Parses the inputs and checks them against the store; writes nothing. */
export async function planImport(
  engine: Engine,
  name: string,
  inputs: RawInput[],
  opts: ImporterOptions & { format?: ImportFormat; zipLimits?: typeof ZIP_LIMITS },
): Promise<ImportPlan> {
  // Off this thread: in browser mode it answers every request, and a few megabytes take it most of a second.
  const parsed = await parseFilesOffThread(inputs, opts);
  parsed.sessions.forEach((s, i) => {
    parseInput(sessionInputSchema, s.session, `sessions[${i}]`);
  });
  const stored = new Set((await engine.listSessions()).map((s) => s.id));
  let duplicates = 0;
  let messages = 0;
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  const speakers = new Map<string, number>();
  const sessions: ImportPlan['sessions'] = [];
  for (const s of parsed.sessions) {
    const exists = stored.has(s.session.id);
    let fresh = s.messages;
    if (exists) {
      const have = new Set((await engine.listMessages(s.session.id)).map((m) => m.id));
      fresh = s.messages.filter((m) => !have.has(m.id));
      duplicates += s.messages.length - fresh.length;
    }
    for (const m of s.messages) {
      const t = typeof m.timestamp === 'number' ? m.timestamp : Date.parse(String(m.timestamp));
      if (Number.isFinite(t)) {
        from = Math.min(from, t);
        to = Math.max(to, t);
      }
      const who = m.speaker ?? m.role ?? 'user';
      speakers.set(who, (speakers.get(who) ?? 0) + 1);
    }
    if (fresh.length === 0) continue;
    messages += fresh.length;
    sessions.push({ ...s, messages: fresh, exists });
  }
  const total = parsed.sessions.reduce((n, s) => n + s.messages.length, 0);
  const preview: ImportPreview = {
    name,
    format: parsed.format,
    sessions: parsed.sessions.length,
    messages: total,
    newSessions: sessions.filter((s) => !s.exists).length,
    newMessages: messages,
    duplicates,
    from: Number.isFinite(from) ? from : null,
    to: Number.isFinite(to) ? to : null,
    user: parsed.user,
    speakers: [...speakers]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20)
      .map(([speaker, n]) => ({ speaker, messages: n })),
    notes: parsed.notes,
    sample: parsed.sessions.slice(0, 5).map((s) => ({
      title: s.session.title,
      messages: s.messages.length,
      first: s.messages[0]?.text.slice(0, 160) ?? '',
    })),
    estimateMs: await estimateMs(engine, messages),
  };
  return { name, format: parsed.format, sessions, preview };
}

/** Time to write `messages` at the rate recent M0 writes ran at; null until there is a write to go by. */
async function estimateMs(engine: Engine, messages: number): Promise<number | null> {
  if (messages === 0) return 0;
  const traces = (await engine.listTraces(50)).filter((t) => t.kind === 'm0.addMessages' && t.rows > 0);
  const rows = traces.reduce((n, t) => n + t.rows, 0);
  const ms = traces.reduce((n, t) => n + t.totalMs, 0);
  if (rows < 50 || ms <= 0) return null;
  return Math.round((messages * ms) / rows);
}

interface Running {
  job: ImportJob;
  cancelled: boolean;
  /** Sessions whose last M0 batch is written: only builds after that count as progress. */
  written: Set<string>;
  built: Record<'m1' | 'm2', Set<string>>;
  /** What this job wrote, so that it can be removed: sessions it created, messages it added to stored ones. */
  createdSessions: string[];
  addedMessages: string[];
  done: Promise<void>;
}

/** Runs imports one batch at a time and reports each job's progress through `onChange`. */
export class ImportJobs {
  private readonly jobs = new Map<string, Running>();

  private readonly group: number;
  private readonly window: number;

  constructor(
    private readonly engine: Engine,
    private readonly onChange: (job: ImportJob) => void,
    opts: { group?: number; window?: number } = {},
  ) {
    this.group = opts.group ?? GROUP;
    this.window = Math.max(1, opts.window ?? 1);
  }

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

  /** What an import would write: sessions, messages, dates, speakers, duplicates to skip. Writes nothing. */
  async preview(input: ImportInput): Promise<ImportPreview> {
    const { inputs, opts } = rawInputs(input);
    return (await planImport(this.engine, input.name, inputs, opts)).preview;
  }

  /** Validates everything and compares it with the store, then writes what is new in the background. */
  async start(input: ImportInput): Promise<ImportJob> {
    const { inputs, opts } = rawInputs(input);
    return this.startPlan(await planImport(this.engine, input.name, inputs, opts));
  }

  /** Starts writing a plan (the CLI plans itself, to show the preview first). */
  startPlan(plan: ImportPlan): ImportJob {
    const messages = plan.sessions.reduce((n, s) => n + s.messages.length, 0);
    const nothing = messages === 0;
    const job: ImportJob = {
      id: randomUUID(),
      name: plan.name,
      format: plan.format,
      state: nothing ? 'done' : 'running',
      sessions: plan.sessions.length,
      messages,
      duplicates: plan.preview.duplicates,
      user: plan.preview.user,
      progress: {
        m0: { done: 0, total: messages },
        m1: { done: 0, total: plan.sessions.length },
        m2: { done: 0, total: plan.sessions.length },
      },
      sessionIds: plan.sessions.map((s) => s.session.id),
      error: null,
      startedAt: Date.now(),
      finishedAt: nothing ? Date.now() : null,
    };
    const run: Running = {
      job,
      cancelled: false,
      written: new Set(),
      built: { m1: new Set(), m2: new Set() },
      createdSessions: [],
      addedMessages: [],
      done: Promise.resolve(),
    };
    this.jobs.set(job.id, run);
    if (!nothing) run.done = this.run(run, plan.sessions);
    return structuredClone(job);
  }

  /** Resolves when the job has stopped writing (done, failed, or cancelled after the batch in flight). */
  async settled(jobId: string): Promise<ImportJob> {
    const r = this.running(jobId);
    await r.done;
    return structuredClone(r.job);
  }

  private async run(r: Running, sessions: ImportPlan['sessions']): Promise<void> {
    await this.write(r, sessions);
    if (r.cancelled) {
      r.job.finishedAt = Date.now();
      this.onChange(structuredClone(r.job));
    }
  }

  private async write(r: Running, sessions: ImportPlan['sessions']): Promise<void> {
    const { job } = r;
    const finish = (state: ImportJob['state'], error: ImportJob['error'] = null): void => {
      if (job.state !== 'running') return;
      job.state = state;
      job.error = error;
      job.finishedAt = Date.now();
      this.onChange(structuredClone(job));
    };
    try {
      // New sessions go in groups (one journal write per GROUP messages, however many sessions they span); a
      // session already stored gets its new messages appended in batches.
      let group: ImportPlan['sessions'] = [];
      let groupSize = 0;
      const inFlight: Promise<void>[] = [];
      let failed: { err: unknown } | null = null;
      const flushGroup = async (): Promise<void> => {
        if (group.length === 0) return;
        const g = group;
        group = [];
        groupSize = 0;
        const written = this.engine
          .addSessions(g.map((s) => ({ session: s.session, messages: s.messages })))
          .then(() => {
            for (const s of g) {
              r.createdSessions.push(s.session.id);
              r.written.add(s.session.id);
              job.progress.m0.done += s.messages.length;
            }
            this.onChange(structuredClone(job));
          })
          .catch((err: unknown) => {
            failed ??= { err };
          });
        inFlight.push(written);
        // Backpressure: wait for the oldest write once `window` are in flight.
        if (inFlight.length >= this.window) await inFlight.shift();
        if (failed) throw failed.err;
      };
      try {
        for (const s of sessions) {
          if (r.cancelled) return;
          if (s.exists || s.messages.length > this.group) continue;
          group.push(s);
          groupSize += s.messages.length;
          if (groupSize >= this.group) await flushGroup();
        }
        if (r.cancelled) return;
        await flushGroup();
      } finally {
        // Whatever is in flight lands before the job stops (a cancel or removal sees every write it made).
        await Promise.all(inFlight);
      }
      if (failed) throw (failed as { err: unknown }).err;
      for (const { session, messages, exists } of sessions) {
        if (r.cancelled) return;
        if (!exists && messages.length <= this.group) continue;
        if (!exists) {
          await this.engine.createSession(session);
          r.createdSessions.push(session.id);
        }
        for (let i = 0; i < messages.length; i += BATCH) {
          if (r.cancelled) return;
          const batch = messages.slice(i, i + BATCH);
          await this.engine.addMessages(session.id, batch);
          if (exists) r.addedMessages.push(...batch.map((m) => m.id));
          job.progress.m0.done += batch.length;
          this.onChange(structuredClone(job));
        }
        r.written.add(session.id);
      }
      if (this.engine.buildLayers) await this.engine.flush();
      if (r.cancelled) return;
      job.progress.m1.done = job.progress.m1.total;
      job.progress.m2.done = job.progress.m2.total;
      finish('done');
    } catch (err) {
      const wire = toWireError(err);
      finish('failed', { code: wire.code, message: wire.message });
    }
  }

  private running(jobId: string): Running {
    const r = this.jobs.get(jobId);
    if (!r) throw new StrataError('NOT_FOUND', `jobId: no import "${jobId}"`, { field: 'jobId' });
    return r;
  }

  get(jobId: string): ImportJob {
    return structuredClone(this.running(jobId).job);
  }

  cancel(jobId: string): ImportJob {
    const r = this.running(jobId);
    if (r.job.state === 'running') {
      // finishedAt stays null until the batch in flight is written and the run stops.
      r.cancelled = true;
      r.job.state = 'cancelled';
      this.onChange(structuredClone(r.job));
    }
    return structuredClone(r.job);
  }

  /**
   * Removes everything a stopped job wrote (the sessions it created, the messages it added to stored sessions)
   * and what was derived from them. A running job is cancelled first and removed once its batch in flight is in.
   */
  async remove(jobId: string): Promise<{ messages: number; items: number; job: ImportJob }> {
    const r = this.running(jobId);
    if (r.job.state === 'running') this.cancel(jobId);
    await r.done;
    let messages = 0;
    let items = 0;
    for (const id of r.createdSessions.splice(0)) {
      const d = await this.engine.deleteSession(id);
      messages += d.messages;
      items += d.items;
    }
    for (const id of r.addedMessages.splice(0)) {
      const d = await this.engine.deleteMessage(id);
      messages += d.messages;
      items += d.items;
    }
    r.job.removed = true;
    this.onChange(structuredClone(r.job));
    return { messages, items, job: structuredClone(r.job) };
  }
}
