/**
 * `npm run serve -- [--data-dir D] [--port P] [--no-layers] [--reembed] [--embedder K] [--llm-url U --llm-model M
 * [--llm-api-key K]]`: browser mode (the embedder and LLM flags override the data folder's settings file for this run). Opens the engine on D (default ./.strata-data),
 * serves the built renderer and the API on 127.0.0.1:P (default 5174; 0 picks a free port), prints the address
 * to open with its token, and on Ctrl-C stops the background layers (they resume on the next start) and closes the engine.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { StrataApp } from '../main/app/app';
import { parseQueryTime } from '../main/engine/retrieval/time';
import { startBridge } from './bridge';

const ROOT = resolve(import.meta.dirname, '..', '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      'renderer-dir': { type: 'string' },
      /** A plain M0 store: no background M1/M2 building (bulk loads, list performance checks). */
      'no-layers': { type: 'boolean' },
      /** Re-embed a directory written by another embedder with the current one, printing progress. */
      reembed: { type: 'boolean' },
      embedder: { type: 'string' },
      'llm-url': { type: 'string' },
      'llm-model': { type: 'string' },
      'llm-api-key': { type: 'string' },
    },
    strict: true,
  });
  const port = values.port === undefined ? 5174 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port: expected 0 to 65535, got ${values.port}`);
  }
  const rendererDir = resolve(values['renderer-dir'] ?? resolve(ROOT, 'out', 'renderer'));
  if (!existsSync(resolve(rendererDir, 'index.html'))) {
    throw new Error(`no built renderer at ${rendererDir}; run "npm run build" first`);
  }
  const dataDir = resolve(values['data-dir'] ?? '.strata-data');
  console.log(`[strata] opening ${dataDir}…`);
  const app = await StrataApp.open({
    dataDir,
    flags: {
      ...(values.embedder !== undefined && { embedder: values.embedder }),
      ...(values['llm-url'] !== undefined && { llmUrl: values['llm-url'] }),
      ...(values['llm-model'] !== undefined && { llmModel: values['llm-model'] }),
      ...(values['llm-api-key'] !== undefined && { llmApiKey: values['llm-api-key'] }),
    },
    ...(values['no-layers'] && { layers: false }),
    ...(values.reembed && {
      reembed: {
        onProgress: (done: number, total: number) => console.log(`[strata] re-embedded ${done} of ${total} items`),
      },
    }),
  });
  warmQueryTime();
  // STRATA_LOOP_DELAY=1 (bench:ui): how long the main thread, which answers every request, was kept from doing so,
  // and each stall over 200 ms printed with the calls answered around it (what kept the thread busy).
  const watch = process.env.STRATA_LOOP_DELAY === '1' ? stallWatch(200) : null;
  const bridge = await startBridge({
    api: app.api,
    dataDir,
    subscribe: (l) => app.subscribe(l),
    rendererDir,
    port,
    ...(watch && { onCall: watch.onCall }),
  });
  const loop = watch ? monitorEventLoopDelay({ resolution: 10 }) : null;
  loop?.enable();
  console.log(`Strata (browser mode): data in ${dataDir}`);
  console.log(`Open ${bridge.url}`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    watch?.stop();
    if (loop) {
      loop.disable();
      const ms = (ns: number) => Math.round(ns / 1e5) / 10;
      console.log(
        `[strata] event-loop delay ms: p50 ${ms(loop.percentile(50))} p99 ${ms(loop.percentile(99))} max ${ms(loop.max)}`,
      );
    }
    void bridge
      .close()
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          console.error('[strata] close failed:', err);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * A query's dates are read by chrono, whose large regular expressions V8 compiles to machine code only once they
 * have run a few times: the first queries after a start paid ~0.7 s of it on this thread (1.26 s at load 16, the
 * worst stall bench:ui saw), holding every request. Paid here instead, before the address is printed.
 */
function warmQueryTime(): void {
  const texts = [
    'What did Melanie paint recently?',
    'When did Caroline go to the LGBTQ support group on 8 May 2023?',
    'last week',
    'in 2022',
  ];
  for (let round = 0; round < 4; round++) for (const t of texts) parseQueryTime(t, Date.now());
}

/** Stalls of the main thread over `overMs`, each printed with the API calls that ended in it or just before. */
function stallWatch(overMs: number) {
  const recent: { at: number; method: string; callMs: number; sendMs: number; bytes: number }[] = [];
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    const late = now - last - 20;
    if (late > overMs) {
      const near = recent
        .filter((c) => c.at >= last - 50)
        .map((c) => `${c.method} (send ${c.sendMs.toFixed(0)} ms, ${c.bytes} B)`);
      console.log(`[strata] stall ${late.toFixed(0)} ms; calls answered in it: ${near.join(', ') || 'none'}`);
    }
    last = now;
    while (recent.length > 0 && (recent[0]?.at ?? now) < now - 2000) recent.shift();
  }, 20);
  tick.unref();
  return {
    onCall: (c: { method: string; callMs: number; sendMs: number; bytes: number }) =>
      recent.push({ at: performance.now(), ...c }),
    stop: () => clearInterval(tick),
  };
}

main().catch((err: unknown) => {
  console.error(`[strata] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
