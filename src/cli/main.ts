/**
 * `strata`: the command line over the same engine, import pipeline and validation as the app. Every command takes
 * `--data-dir` (default: the app's own data folder) and `--json`; long work shows progress bars on stderr.
 * Run from a clone with `npm run -s strata -- …`, or as `strata …` after `npm link`.
 * Over 400 lines: it is the table of commands, each a short declaration of its options and a call into the app;
 * output and exit codes (output.ts) and the data folder (app/data-dir.ts) live elsewhere.
 */
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { MultiBar, Presets, SingleBar } from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { defaultDataDir } from '../main/app/data-dir';
import type { RawInput } from '../main/app/importers';
import { loadSettings, runOptions, saveSettings, storedEmbedder } from '../main/app/settings';
import { EMBEDDER_KINDS, type EmbedderKind } from '../main/engine/embed/embedder';
import type { Engine, EngineOptions } from '../main/engine/engine';
import { IMPORT_FORMATS, type ImportFormat } from '../shared/app-types';
import { StrataError } from '../shared/errors';
import { EXIT, Output, plural } from './output';

const ROOT = resolve(import.meta.dirname, '..', '..');

// The engine, the import pipeline, the bridge and the MCP server are loaded by the command that needs them, so
// `strata --help` and a usage error answer without transpiling the whole engine first.
const engineModule = () => import('../main/engine/engine');
const exportModule = () => import('../main/app/export');
const importModule = () => import('../main/app/import');
const backupModule = () => import('../main/app/backup');

interface Globals {
  dataDir?: string;
  json?: boolean;
  embedder?: string;
  llmUrl?: string;
  llmModel?: string;
  llmApiKey?: string;
}

function globalsOf(cmd: Command): { dataDir: string; out: Output; embedder: EmbedderKind | undefined } {
  const g = cmd.optsWithGlobals<Globals>();
  const embedder = g.embedder ?? process.env.STRATA_EMBEDDER;
  if (embedder !== undefined && !EMBEDDER_KINDS.includes(embedder as EmbedderKind)) {
    throw new StrataError(
      'INVALID_INPUT',
      `--embedder: expected one of ${EMBEDDER_KINDS.join(', ')}, got "${embedder}"`,
      {
        field: 'embedder',
      },
    );
  }
  return {
    dataDir: resolve(g.dataDir ?? defaultDataDir()),
    out: new Output(Boolean(g.json)),
    embedder: embedder as EmbedderKind | undefined,
  };
}

/** The LLM endpoint of this run: `--llm-url`/`--llm-model`/`--llm-api-key`, else the settings file's if it is on. */
function llmOf(cmd: Command, dataDir: string): Partial<EngineOptions> {
  const g = cmd.optsWithGlobals<Globals>();
  const flags = {
    ...(g.llmUrl !== undefined && { llmUrl: g.llmUrl }),
    ...(g.llmModel !== undefined && { llmModel: g.llmModel }),
    ...(g.llmApiKey !== undefined && { llmApiKey: g.llmApiKey }),
  };
  const { llm } = runOptions(dataDir, loadSettings(dataDir).settings, flags);
  return llm ? { llm } : {};
}

async function withEngine<T>(
  cmd: Command,
  extra: Partial<EngineOptions>,
  work: (engine: Engine, out: Output) => Promise<T>,
): Promise<T> {
  const { dataDir, out, embedder: chosen } = globalsOf(cmd);
  const embedder = chosen ?? storedEmbedder(dataDir);
  const { Engine } = await engineModule();
  const engine = await Engine.open({ dataDir, ...(embedder && { embedder }), ...llmOf(cmd, dataDir), ...extra });
  try {
    return await work(engine, out);
  } finally {
    await engine.close();
  }
}

const TEXT_FILE = /\.(json|jsonl|ndjson|txt|md|markdown|zip)$/i;

/** Files as given; a folder stands for the text files under it (a notes folder), in name order. */
function readInputs(paths: string[]): RawInput[] {
  const out: RawInput[] = [];
  const visit = (p: string, rel: string): void => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) throw new StrataError('NOT_FOUND', `${rel}: no such file or folder`, { field: rel });
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (name.startsWith('.')) continue;
        const child = join(p, name);
        const cst = statSync(child);
        if (cst.isDirectory() || TEXT_FILE.test(name)) visit(child, `${rel}/${name}`);
      }
      return;
    }
    out.push({ path: rel, bytes: new Uint8Array(readFileSync(p)), modifiedAt: st.mtimeMs });
  };
  for (const p of paths) visit(resolve(p), basename(p));
  if (out.length === 0)
    throw new StrataError('INVALID_INPUT', `${paths.join(', ')}: no files to import`, { field: 'file' });
  return out;
}

const isStrataExport = (input: RawInput): boolean =>
  /^\s*\{\s*"type"\s*:\s*"strata-export"/.test(
    new TextDecoder().decode((input.bytes ?? new Uint8Array()).slice(0, 64)),
  );

const day = (t: number | null) => (t === null ? '?' : new Date(t).toISOString().slice(0, 10));

function bars(out: Output) {
  if (out.json || !process.stderr.isTTY) return null;
  return new MultiBar(
    {
      stream: process.stderr,
      format: ' {layer} [{bar}] {value}/{total} {unit}',
      hideCursor: true,
      clearOnComplete: false,
    },
    Presets.shades_classic,
  );
}

async function runImport(paths: string[], o: Record<string, unknown>, cmd: Command): Promise<number> {
  const inputs = readInputs(paths);
  const { out } = globalsOf(cmd);
  const layers = o.layers !== false;
  if (inputs.length === 1 && isStrataExport(inputs[0] as RawInput)) {
    return withEngine(cmd, { layers: false }, async (engine) => {
      const text = new TextDecoder().decode((inputs[0] as RawInput).bytes);
      const bar =
        out.json || !process.stderr.isTTY ? null : new SingleBar({ stream: process.stderr }, Presets.shades_classic);
      bar?.start(1, 0);
      const { importExport } = await exportModule();
      const r = await importExport(engine, text, (done, total) => {
        bar?.setTotal(total);
        bar?.update(done);
      });
      bar?.stop();
      out.result(
        { format: 'strata', ...r },
        () =>
          `Imported a Strata export: ${plural(r.sessions, 'session')}, ${plural(r.messages, 'message')}, ${plural(r.items, 'item')}, ${plural(r.decisions, 'decision')}.`,
      );
      return EXIT.ok;
    });
  }
  return withEngine(cmd, { layers }, async (engine) => {
    const started = performance.now();
    const { BULK, ImportJobs, planImport } = await importModule();
    const plan = await planImport(engine, paths.map((p) => basename(p)).join(', '), inputs, {
      name: basename(paths[0] as string),
      ...(o.format !== undefined && { format: o.format as ImportFormat }),
      ...(o.user !== undefined && { user: String(o.user) }),
      ...(o.dayFirst === true && { dayFirst: true }),
      ...(o.monthFirst === true && { dayFirst: false }),
      ...(o.samples !== undefined && {
        samples: String(o.samples)
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      }),
    });
    const planMs = performance.now() - started;
    const p = plan.preview;
    out.info(
      `${p.format}: ${plural(p.sessions, 'session')}, ${plural(p.messages, 'message')} from ${day(p.from)} to ${day(p.to)}; ` +
        `the user: ${p.user ?? 'unknown (name them with --user)'}\n` +
        `new: ${plural(p.newSessions, 'session')}, ${plural(p.newMessages, 'message')}; already stored (skipped): ${plural(p.duplicates, 'message')}` +
        (p.notes.length ? `\n${p.notes.map((n) => `  · ${n}`).join('\n')}` : ''),
    );
    if (o.dryRun) {
      out.result({ preview: p }, () => 'Dry run: nothing written.');
      return EXIT.ok;
    }
    if (p.newMessages === 0) {
      out.result({ preview: p, job: null }, () => 'Nothing new to import: every message is already stored.');
      return EXIT.ok;
    }
    const multi = bars(out);
    const b0 = multi?.create(p.newMessages, 0, { layer: 'M0', unit: 'messages' });
    const b1 = layers ? multi?.create(plan.sessions.length, 0, { layer: 'M1', unit: 'sessions' }) : undefined;
    const b2 = layers ? multi?.create(plan.sessions.length, 0, { layer: 'M2', unit: 'sessions' }) : undefined;
    let m0Ms: number | null = null;
    const jobs = new ImportJobs(
      engine,
      (job) => {
        b0?.update(job.progress.m0.done);
        b1?.update(job.progress.m1.done);
        b2?.update(job.progress.m2.done);
        if (m0Ms === null && job.progress.m0.done === job.progress.m0.total) m0Ms = performance.now() - started;
      },
      BULK,
    );
    engine.watch({ built: (sessionId, layer) => jobs.onBuilt(sessionId, layer) });
    const job = jobs.startPlan(plan);
    let interrupts = 0;
    const onSigint = (): void => {
      interrupts++;
      if (interrupts > 1) process.exit(EXIT.interrupted);
      out.info('\nCancelling after the batch in flight (Ctrl-C again to stop at once)…');
      jobs.cancel(job.id);
    };
    process.on('SIGINT', onSigint);
    const final = await jobs.settled(job.id);
    process.off('SIGINT', onSigint);
    multi?.stop();
    const totalMs = performance.now() - started;
    // Times from the start of the command (reading and parsing included); peak RSS of the whole process, workers too.
    const timings = {
      planMs: Math.round(planMs),
      m0Ms: m0Ms === null ? null : Math.round(m0Ms),
      totalMs: Math.round(totalMs),
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    out.result({ preview: p, job: final, timings }, () =>
      final.state === 'done'
        ? `Imported ${plural(final.messages, 'message')} in ${plural(final.sessions, 'session')} (${(totalMs / 1000).toFixed(1)} s).`
        : final.state === 'cancelled'
          ? `Cancelled: ${plural(final.progress.m0.done, 'message')} written. Run the same import again to resume.`
          : `Import failed: ${final.error?.code}: ${final.error?.message}`,
    );
    if (final.state === 'failed')
      throw new StrataError((final.error?.code as 'INTERNAL') ?? 'INTERNAL', final.error?.message ?? 'failed');
    return final.state === 'cancelled' ? EXIT.interrupted : EXIT.ok;
  });
}

function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name}: expected an integer from ${min} to ${max}`);
    return n;
  };
}

export function buildProgram(done: (code: number) => void): Command {
  const program = new Command('strata')
    .description('Strata: a personal, offline, layered memory. Import chat exports, search, export and back up.')
    .option('--data-dir <dir>', "the memory folder (default: the desktop app's, or STRATA_DATA_DIR)")
    .option('--json', 'machine-readable output on stdout; errors as {code, message, details} on stderr')
    .addOption(
      new Option(
        '--embedder <kind>',
        'the embedder to open the data with (default: STRATA_EMBEDDER or the built-in one)',
      ).choices([...EMBEDDER_KINDS]),
    )
    .option('--llm-url <url>', 'an OpenAI-compatible endpoint for fact extraction (default: the settings file, if on)')
    .option('--llm-model <model>', 'the model to ask at --llm-url')
    .option('--llm-api-key <key>', 'sent as a bearer token to --llm-url (prefer the settings file: flags show in ps)')
    .version(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version)
    .showHelpAfterError()
    .exitOverride();

  const wrap =
    (fn: (...a: never[]) => Promise<number>) =>
    async (...args: unknown[]): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      try {
        done(await (fn as (...a: unknown[]) => Promise<number>)(...args));
      } catch (err) {
        done(new Output(Boolean(cmd.optsWithGlobals<Globals>().json)).error(err));
      }
    };

  program
    .command('import')
    .description('import chat exports (ChatGPT, Claude, WhatsApp, Telegram), notes, JSONL, LoCoMo, or a Strata export')
    .argument('<paths...>', 'files, export ZIPs as downloaded, or folders of notes')
    .addOption(
      new Option('--format <format>', 'skip detection and read every file as this format').choices(
        IMPORT_FORMATS.filter((f) => f !== 'strata'),
      ),
    )
    .option('--user <name>', 'the speaker who is you (else what the export says, or inferred)')
    .option('--day-first', 'WhatsApp: dates are day/month')
    .option('--month-first', 'WhatsApp: dates are month/day')
    .option('--samples <ids>', 'LoCoMo: only these conversations (comma-separated)')
    .option('--dry-run', 'show what would be imported, write nothing')
    .option('--no-layers', 'write M0 only; M1/M2 are built the next time layers are on')
    .action(wrap(runImport as never));

  program
    .command('query')
    .description('search the memory across layers and stores')
    .argument('<text>', 'what to look for')
    .option('-k, --k <n>', 'results to return', intArg('--k', 1, 200), 10)
    .option('--layers <list>', 'only these layers (m0,m1,m2)')
    .option('--messages', 'return the source messages instead of items')
    .action(
      wrap((async (text: string, o: { k: number; layers?: string; messages?: boolean }, cmd: Command) =>
        withEngine(cmd, { layers: false }, async (engine, out) => {
          const layers = o.layers?.split(',').map((l) => l.trim()) as ('m0' | 'm1' | 'm2')[] | undefined;
          const r = await engine.query({
            text,
            k: o.k,
            ...(layers && { layers }),
            ...(o.messages && { returns: 'messages' as const }),
          });
          out.result(r, () =>
            r.hits.length === 0
              ? 'No results.'
              : r.hits
                  .map(
                    (h) =>
                      `${String(h.rank).padStart(3)}. [${h.layer} ${h.kind}] ${h.text.replace(/\s+/g, ' ').slice(0, 160)}  (${h.score.toFixed(4)})`,
                  )
                  .join('\n'),
          );
          return EXIT.ok;
        })) as never),
    );

  program
    .command('stats')
    .description('counts per layer and kind, rows and bytes per store, the embedder')
    .action(
      wrap((async (_o: unknown, cmd: Command) =>
        withEngine(cmd, { layers: false }, async (engine, out) => {
          const s = await engine.stats();
          out.result(s, () =>
            [
              ...s.layers.map((l) => `${l.layer} ${l.kind.padEnd(12)} ${l.n.toLocaleString('en')}`),
              ...Object.entries(s.stores).map(
                ([k, v]) =>
                  `${k.padEnd(8)} ${v.rows.toLocaleString('en')} rows, ${(s.fileBytes[k as 'core'] / 1024 / 1024).toFixed(1)} MiB`,
              ),
              `embedder ${s.embedder.id}`,
            ].join('\n'),
          );
          return EXIT.ok;
        })) as never),
    );

  program
    .command('export')
    .description(
      'write the whole memory as JSON Lines (sessions, messages, items with provenance, decisions) or Markdown',
    )
    .requiredOption('--out <path>', 'the file to write, or - for stdout')
    .addOption(
      new Option('--format <format>', 'jsonl (re-importable) or markdown (to read)')
        .choices(['jsonl', 'markdown'])
        .default('jsonl'),
    )
    .action(
      wrap((async (o: { out: string; format: string }, cmd: Command) =>
        withEngine(cmd, { layers: false }, async (engine, out) => {
          const toStdout = o.out === '-';
          const stream = toStdout ? process.stdout : createWriteStream(resolve(o.out));
          const write = (text: string): Promise<void> | undefined =>
            stream.write(text) ? undefined : new Promise<void>((r) => stream.once('drain', () => r()));
          let counts: unknown = null;
          const { exportJsonl, exportMarkdown } = await exportModule();
          if (o.format === 'markdown') await exportMarkdown(engine, write);
          else counts = await exportJsonl(engine, (line) => write(`${line}\n`));
          if (!toStdout)
            await new Promise<void>((r, j) =>
              (stream as ReturnType<typeof createWriteStream>).end((e?: Error | null) => (e ? j(e) : r())),
            );
          if (!toStdout)
            out.result({ out: resolve(o.out), format: o.format, counts }, () => `Exported to ${resolve(o.out)}.`);
          return EXIT.ok;
        })) as never),
    );

  program
    .command('backup')
    .description('snapshot every database into one file (safe while the app is running)')
    .requiredOption('--out <file>', 'the backup file to write')
    .action(
      wrap((async (o: { out: string }, cmd: Command) => {
        const { dataDir, out } = globalsOf(cmd);
        const { backupDataDir } = await backupModule();
        const m = await backupDataDir(dataDir, o.out);
        out.result(
          { out: resolve(o.out), manifest: m },
          () =>
            `Backed up ${dataDir} to ${resolve(o.out)} (journal at ${m.journalSeq}, ${m.files.map((f) => `${f.name} ${(f.bytes / 1024).toFixed(0)} KiB`).join(', ')}).`,
        );
        return EXIT.ok;
      }) as never),
    );

  program
    .command('restore')
    .description('restore a backup into an empty data folder (refuses a damaged or newer backup)')
    .argument('<file>', 'the backup file')
    .action(
      wrap((async (file: string, _o: unknown, cmd: Command) => {
        const { dataDir, out } = globalsOf(cmd);
        const { restoreBackup } = await backupModule();
        const m = await restoreBackup(file, dataDir);
        out.result(
          { dataDir, manifest: m },
          () => `Restored ${resolve(file)} into ${dataDir} (backup of ${new Date(m.createdAt).toISOString()}).`,
        );
        return EXIT.ok;
      }) as never),
    );

  program
    .command('reembed')
    .description('embed every item again with another embedder (after changing it)')
    .requiredOption('--to <kind>', `the embedder to switch to (${EMBEDDER_KINDS.join(', ')})`)
    .action(
      wrap((async (o: { to: string }, cmd: Command) => {
        const { dataDir, out } = globalsOf(cmd);
        if (!EMBEDDER_KINDS.includes(o.to as EmbedderKind)) {
          throw new StrataError('INVALID_INPUT', `--to: expected one of ${EMBEDDER_KINDS.join(', ')}`, { field: 'to' });
        }
        const bar =
          out.json || !process.stderr.isTTY ? null : new SingleBar({ stream: process.stderr }, Presets.shades_classic);
        let total = 0;
        const { Engine } = await engineModule();
        const engine = await Engine.open({
          dataDir,
          embedder: o.to as EmbedderKind,
          layers: false,
          reembed: {
            onProgress: (d, t) => {
              if (total === 0) bar?.start(t, 0);
              total = t;
              bar?.update(d);
            },
          },
        });
        bar?.stop();
        const id = engine.embedder.id;
        await engine.close();
        // The app's Settings shows and keeps the same choice.
        saveSettings(dataDir, { embedder: o.to as EmbedderKind });
        out.result({ embedder: id, items: total }, () =>
          total ? `Re-embedded ${plural(total, 'item')} with ${id}.` : `Already embedded with ${id}: nothing to do.`,
        );
        return EXIT.ok;
      }) as never),
    );

  program
    .command('forget')
    .description(
      'remove items, messages, sessions or everything matching a text, from every store (recorded in the audit log)',
    )
    .option('--id <ids...>', 'items of any layer, or messages')
    .option('--session <ids...>', 'whole sessions')
    .option('--query <text>', 'every message and item whose text contains this (case-insensitive, literal)')
    .option('--dry-run', 'list what would go (items per layer, messages, what is rebuilt) and change nothing')
    .option('--reason <text>', 'why, kept in the audit log')
    .action(
      wrap((async (
        o: { id?: string[]; session?: string[]; query?: string; dryRun?: boolean; reason?: string },
        cmd: Command,
      ) => {
        if (!o.id && !o.session && o.query === undefined) {
          throw new StrataError('INVALID_INPUT', 'forget: name what to forget with --id, --session or --query', {
            field: 'forget',
          });
        }
        return withEngine(cmd, {}, async (engine, out) => {
          const plan = await engine.forget({
            ...(o.id && { ids: o.id }),
            ...(o.session && { sessionIds: o.session }),
            ...(o.query !== undefined && { query: o.query }),
            dryRun: Boolean(o.dryRun),
            ...(o.reason && { reason: o.reason }),
            actor: 'cli',
          });
          const c = plan.counts;
          const what = `${plural(c.sessions, 'session')}, ${plural(c.messages, 'message')}, items M0 ${c.m0} · M1 ${c.m1} · M2 ${c.m2}`;
          out.result(plan, () =>
            plan.dryRun ? `Would forget ${what} (dry run: nothing changed).` : `Forgot ${what}.`,
          );
          return EXIT.ok;
        });
      }) as never),
    );

  const entity = program.command('entity').description('merge, rename and undo edits of M2 entities (audited)');
  const entityResult = (verb: string) => (r: { entityId: string; rewritten: number; auditId: number }) =>
    `${verb} ${r.entityId} (${plural(r.rewritten, 'item')} rewritten; audit entry ${r.auditId}: undo with "strata entity undo ${r.auditId}").`;
  entity
    .command('merge <keep> <merge>')
    .description('merge entity MERGE into KEEP: every link moves to KEEP, which takes its names; MERGE is removed')
    .option('--reason <text>', 'why, kept in the audit log')
    .action(
      wrap((async (keepId: string, mergeId: string, o: { reason?: string }, cmd: Command) =>
        withEngine(cmd, {}, async (engine, out) => {
          const r = await engine.mergeEntities({
            keepId,
            mergeId,
            actor: 'cli',
            ...(o.reason && { reason: o.reason }),
          });
          out.result(r, () => entityResult('Merged into')(r));
          return EXIT.ok;
        })) as never),
    );
  entity
    .command('rename <id> <name>')
    .description('rename an entity: its label, aliases (the old name is kept as one) and its relationships')
    .option('--reason <text>', 'why, kept in the audit log')
    .action(
      wrap((async (id: string, name: string, o: { reason?: string }, cmd: Command) =>
        withEngine(cmd, {}, async (engine, out) => {
          const r = await engine.renameEntity({ id, name, actor: 'cli', ...(o.reason && { reason: o.reason }) });
          out.result(r, () => entityResult('Renamed')(r));
          return EXIT.ok;
        })) as never),
    );
  entity
    .command('undo')
    .argument('<auditId>', 'the audit entry of the merge or rename', intArg('auditId', 1, Number.MAX_SAFE_INTEGER))
    .description('undo a merge or a rename by its audit entry (a forget is final)')
    .option('--reason <text>', 'why, kept in the audit log')
    .action(
      wrap((async (auditId: number, o: { reason?: string }, cmd: Command) =>
        withEngine(cmd, {}, async (engine, out) => {
          const r = await engine.undoEdit({ auditId, actor: 'cli', ...(o.reason && { reason: o.reason }) });
          out.result(r, () => `Undid audit entry ${auditId}: ${r.entityId} is as it was (entry ${r.auditId}).`);
          return EXIT.ok;
        })) as never),
    );

  program
    .command('serve')
    .description('browser mode: serve the app and its API on 127.0.0.1 until Ctrl-C')
    .option('--port <port>', 'the port (0 picks a free one)', intArg('--port', 0, 65_535), 5174)
    .option('--no-layers', 'a plain M0 store: no background M1/M2 building')
    .action(
      wrap((async (o: { port: number; layers: boolean }, cmd: Command) => {
        const { dataDir, out, embedder: chosen } = globalsOf(cmd);
        const embedder = chosen ?? storedEmbedder(dataDir);
        const rendererDir = resolve(ROOT, 'out', 'renderer');
        if (!existsSync(join(rendererDir, 'index.html'))) {
          throw new StrataError('NOT_FOUND', `no built renderer at ${rendererDir}; run "npm run build" first`);
        }
        process.stderr.write(`Opening ${dataDir}…\n`);
        const [{ StrataApp }, { startBridge }] = await Promise.all([
          import('../main/app/app'),
          import('../server/bridge'),
        ]);
        const app = await StrataApp.open({
          dataDir,
          ...(embedder && { embedder }),
          ...llmOf(cmd, dataDir),
          ...(!o.layers && { layers: false }),
        });
        const bridge = await startBridge({
          api: app.api,
          dataDir,
          subscribe: (l) => app.subscribe(l),
          rendererDir,
          port: o.port,
        });
        out.result({ url: bridge.url, dataDir }, () => `Strata (browser mode): data in ${dataDir}\nOpen ${bridge.url}`);
        await new Promise<void>((r) => {
          process.once('SIGINT', r);
          process.once('SIGTERM', r);
        });
        await bridge.close();
        await app.close();
        return EXIT.ok;
      }) as never),
    );

  program
    .command('mcp')
    .description('serve this memory to an MCP client: stdio (what assistants launch), or Streamable HTTP on 127.0.0.1')
    .option('--http', 'Streamable HTTP on 127.0.0.1 with a bearer token (STRATA_MCP_TOKEN, or one printed at start)')
    .option('--port <port>', 'the HTTP port (0 picks a free one)', intArg('--port', 0, 65_535), 0)
    .option('--no-layers', 'a plain M0 store: no background M1/M2 building')
    .action(
      wrap((async (o: { http?: boolean; port: number; layers: boolean }, cmd: Command) => {
        // stdout carries only the protocol: nothing else may be printed there.
        const { dataDir, embedder: chosen } = globalsOf(cmd);
        const embedder = chosen ?? storedEmbedder(dataDir);
        const { runMcp } = await import('../mcp/run');
        const handle = await runMcp({
          dataDir,
          ...(embedder && { embedder }),
          ...(o.http && { http: true, port: o.port }),
          ...(!o.layers && { layers: false }),
        });
        const stop = (): void => {
          void handle.close();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        await handle.closed;
        return EXIT.ok;
      }) as never),
    );

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code: number | null = null;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; a usage error has already been printed.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return new Output(argv.includes('--json')).error(err);
  }
  return code ?? EXIT.ok;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`strata: ${String(err)}\n`);
      process.exit(EXIT.internal);
    },
  );
}
