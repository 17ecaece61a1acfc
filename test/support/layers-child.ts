/**
 * The child half of the layer-convergence tests (layers/converge.test.ts): run as a child process
 * (`node out/test-children/layers-child.mjs <dataDir> <after-m1|after-delete>`), it opens an engine with layers on, writes
 * a fixed LoCoMo workload, and kills itself with SIGKILL at one exact point:
 *
 *   after-m1       the first M1 write of the session is acknowledged and its M2 write has not started
 *   after-delete   deleteSession of the first session is acknowledged; orphan collection has not run
 *
 * It prints `KILL <point>` (a synchronous write) just before the kill, so the parent knows the kill was the planned
 * one and not a crash.
 */
import { writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Engine } from '../../src/main/engine/engine';
import type { MessageInput } from '../../src/shared/schema';
import { loadLocomo } from './locomo';

export interface ConvergeSession {
  id: string;
  participants: string[];
  startedAt: number;
  messages: MessageInput[];
}

/** Two sessions with different people: the first session of each of LoCoMo's first two conversations. */
export function convergeSessions(): ConvergeSession[] {
  return loadLocomo()
    .slice(0, 2)
    .map((conv) => {
      const s = conv.sessions[0];
      if (!s) throw new Error(`${conv.sampleId} has no sessions`);
      return {
        id: `${conv.sampleId}:${s.key}`,
        participants: conv.speakers,
        startedAt: s.startedAt,
        messages: s.messages,
      };
    });
}

export async function writeSession(engine: Engine, s: ConvergeSession): Promise<void> {
  await engine.createSession({ id: s.id, participants: s.participants, startedAt: s.startedAt });
  await engine.addMessages(s.id, s.messages);
}

function kill(point: string): never {
  writeSync(1, `KILL ${point}\n`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}

async function main(): Promise<void> {
  const [dataDir, point] = process.argv.slice(2);
  if (!dataDir || (point !== 'after-m1' && point !== 'after-delete')) {
    throw new Error('usage: layers-child.ts <dataDir> <after-m1|after-delete>');
  }
  const engine = await Engine.open({ dataDir, embedder: 'hashing' });
  const sessions = convergeSessions();
  if (point === 'after-m1') {
    // onBuilt('m1') runs right after the M1 fan-out resolved, before any M2 work: the window between the two writes.
    engine.layers.onBuilt = (_sessionId, layer) => {
      if (layer === 'm1') kill(point);
    };
    await writeSession(engine, sessions[0] as ConvergeSession);
    await engine.flush();
    throw new Error('the M1 write never completed');
  }
  for (const s of sessions) await writeSession(engine, s);
  await engine.flush();
  await engine.deleteSession((sessions[0] as ConvergeSession).id);
  kill(point);
}

const invokedPath = process.argv[1];
if (invokedPath && pathToFileURL(resolve(invokedPath)).href === import.meta.url) {
  main().catch((err: unknown) => {
    process.stderr.write(`layers-child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
