/**
 * The writer half of the crash-safety test (crash.test.ts): run as a child process
 * (`node out/test-children/crash-child.mjs <dataDir> <run> <sessionId> [seed] [power|process]`), it opens the
 * engine and writes until it is killed. Every line it prints on stdout is one fact the
 * parent may rely on, written with a synchronous write so a SIGKILL never loses a line
 * that was already printed:
 *
 *   SESSION <id>     the session exists (created or found)
 *   W <json ids>     about to call addMessages with these message ids (not yet acknowledged)
 *   ACK <json ids>   addMessages resolved: these messages are acknowledged
 *   D <id>           about to call deleteMessage(id)
 *   DEL <id>         deleteMessage resolved: the deletion is acknowledged
 *
 * Message ids are `m-<run>-<n>`, unique across runs; each message's text is `messageText(id)`,
 * so the parent can check what the journal holds.
 */
import { writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Engine } from '../../src/main/engine/engine';
import { rng } from '../../src/shared/rng';

const WORDS = [
  'river',
  'lantern',
  'copper',
  'meadow',
  'signal',
  'harbor',
  'quartz',
  'ember',
  'violet',
  'tundra',
  'orchard',
  'basalt',
  'falcon',
  'drizzle',
  'summit',
  'cobalt',
  'thimble',
  'glacier',
  'saffron',
  'pylon',
];

/** FNV-1a, for deterministic per-id choices. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function messageText(id: string): string {
  const h = hash(id);
  // Mostly short, sometimes long: 1–40 words, or 200–800 words for one message in eight.
  const words = h % 8 === 0 ? 200 + (h % 601) : 1 + (h % 40);
  const rnd = rng(h);
  const out: string[] = [id];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(rnd() * WORDS.length)] as string);
  return out.join(' ');
}

function say(line: string): void {
  writeSync(1, `${line}\n`);
}

async function main(): Promise<void> {
  const [dataDir, runArg, sessionId, seedArg, durabilityArg = 'power'] = process.argv.slice(2);
  if (!dataDir || !runArg || !sessionId || (durabilityArg !== 'power' && durabilityArg !== 'process')) {
    throw new Error('usage: crash-child.ts <dataDir> <run> <sessionId> [seed] [power|process]');
  }
  const run = Number(runArg);
  const rnd = rng(Number(seedArg ?? run) ^ 0x9e3779b9);
  // Storage durability under SIGKILL: a plain M0 engine with one chunk per message (layers are derived and rebuilt).
  const engine = await Engine.open({
    dataDir,
    durability: durabilityArg,
    layers: false,
    chunking: { shortTokens: 0, maxTokens: 1_000_000 },
  });
  const sessions = await engine.listSessions();
  if (!sessions.some((s) => s.id === sessionId)) {
    await engine.createSession({ id: sessionId, title: 'crash test', participants: ['user', 'assistant'] });
  }
  say(`SESSION ${sessionId}`);

  let n = 0;
  let writes = 0;
  for (;;) {
    // One or two writes in flight at once, so a kill can land between or inside overlapping writes.
    const concurrent = rnd() < 0.3 ? 2 : 1;
    const batches: string[][] = [];
    for (let c = 0; c < concurrent; c++) {
      const size = 1 + Math.floor(rnd() * 20);
      const ids: string[] = [];
      for (let i = 0; i < size; i++) ids.push(`m-${run}-${n++}`);
      batches.push(ids);
    }
    await Promise.all(
      batches.map(async (ids) => {
        say(`W ${JSON.stringify(ids)}`);
        const res = await engine.addMessages(
          sessionId,
          ids.map((id, i) => ({
            id,
            role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
            text: messageText(id),
          })),
        );
        if (res.messageIds.join() !== ids.join()) {
          throw new Error(`addMessages returned ${JSON.stringify(res.messageIds)} for ${JSON.stringify(ids)}`);
        }
        say(`ACK ${JSON.stringify(ids)}`);
      }),
    );
    writes += concurrent;
    if (writes >= 15) {
      writes = 0;
      // Any message in the journal: this run's or an earlier run's. No write is in flight here,
      // so everything listed was acknowledged.
      const messages = await engine.listMessages(sessionId);
      const victim = messages[Math.floor(rnd() * messages.length)];
      if (victim) {
        say(`D ${victim.id}`);
        await engine.deleteMessage(victim.id);
        say(`DEL ${victim.id}`);
      }
    }
  }
}

const invokedPath = process.argv[1];
if (invokedPath && pathToFileURL(resolve(invokedPath)).href === import.meta.url) {
  main().catch((err: unknown) => {
    process.stderr.write(`crash-child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
