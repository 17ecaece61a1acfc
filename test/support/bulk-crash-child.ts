/**
 * The writer half of the bulk-path kill test (storage/bulk-crash.test.ts): run as a child process
 * (`node out/test-children/bulk-crash-child.mjs <dataDir> <run> [power|process]`), it imports new sessions through
 * `Engine.addSessions` (the bulk path: one journal transaction and one fan-out per batch), two batches in flight as
 * the importer keeps them, until it is killed. Lines on stdout (synchronous writes, so a SIGKILL loses none printed):
 *
 *   W <batch> <json session ids>   about to write this batch (not yet acknowledged)
 *   ACK <batch>                    addSessions resolved: every session and message of the batch is acknowledged
 *
 * Batch b of run r holds SESSIONS sessions `s-r-b-k` of MESSAGES messages `m-r-b-k-i`, text `bulkText(id)`.
 */
import { writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Engine } from '../../src/main/engine/engine';

export const SESSIONS = 12;
export const MESSAGES = 25;

export function bulkText(id: string): string {
  return `${id} we talked about the garden, the lease and the train to Lisbon`;
}

export function batchOf(run: number, b: number): { sessions: string[]; messages: Record<string, string[]> } {
  const sessions = Array.from({ length: SESSIONS }, (_, k) => `s-${run}-${b}-${k}`);
  const messages = Object.fromEntries(
    sessions.map((s, k) => [s, Array.from({ length: MESSAGES }, (_, i) => `m-${run}-${b}-${k}-${i}`)]),
  );
  return { sessions, messages };
}

function say(line: string): void {
  writeSync(1, `${line}\n`);
}

async function main(): Promise<void> {
  const [dataDir, runArg, durability = 'power'] = process.argv.slice(2);
  if (!dataDir || !runArg || (durability !== 'power' && durability !== 'process')) {
    throw new Error('usage: bulk-crash-child.ts <dataDir> <run> [power|process]');
  }
  const run = Number(runArg);
  const engine = await Engine.open({
    dataDir,
    durability,
    layers: false,
    chunking: { shortTokens: 0, maxTokens: 1_000_000 },
  });
  let next = 0;
  const lane = async (): Promise<void> => {
    for (;;) {
      const b = next++;
      const { sessions, messages } = batchOf(run, b);
      say(`W ${b} ${JSON.stringify(sessions)}`);
      await engine.addSessions(
        sessions.map((id) => ({
          session: { id, title: `Conversation ${id}`, participants: ['Ann', 'assistant'] },
          messages: (messages[id] as string[]).map((mid, i) => ({
            id: mid,
            role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
            speaker: i % 2 === 0 ? 'Ann' : 'assistant',
            text: bulkText(mid),
          })),
        })),
      );
      say(`ACK ${b}`);
    }
  };
  await Promise.all([lane(), lane()]);
}

const invokedPath = process.argv[1];
if (invokedPath && pathToFileURL(resolve(invokedPath)).href === import.meta.url) {
  main().catch((err: unknown) => {
    process.stderr.write(
      `bulk-crash-child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}
