/**
 * Reading LoCoMo conversations (../shared/data/locomo/locomo7.json, CC BY-NC 4.0) into Strata's sessions and
 * messages. The data stays in ../shared; nothing is copied into the project.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseLocomoDate as parseImportDate } from '../../src/main/app/import';
import type { MessageInput } from '../../src/shared/schema';

export const LOCOMO_PATH = fileURLToPath(new URL('../../../shared/data/locomo/locomo7.json', import.meta.url));

interface Turn {
  speaker: string;
  dia_id: string;
  text: string;
  blip_caption?: string;
}

export interface LocomoSession {
  key: string;
  startedAt: number;
  messages: MessageInput[];
}

export interface LocomoConversation {
  sampleId: string;
  speakers: [string, string];
  sessions: LocomoSession[];
  qa: { question: string; answer?: unknown; evidence: string[]; category: number }[];
}

/** "1:56 pm on 8 May, 2023" → epoch ms (local time); the app's import parser, throwing on a date it cannot read. */
export function parseLocomoDate(s: string): number {
  const ms = parseImportDate(s);
  if (ms === null) throw new Error(`unrecognised LoCoMo date "${s}"`);
  return ms;
}

export function loadLocomo(path = LOCOMO_PATH): LocomoConversation[] {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as {
    sample_id: string;
    conversation: Record<string, unknown>;
    qa: LocomoConversation['qa'];
  }[];
  return raw.map((c) => {
    const conv = c.conversation;
    const sessions: LocomoSession[] = [];
    for (let n = 1; Array.isArray(conv[`session_${n}`]); n++) {
      const startedAt = parseLocomoDate(String(conv[`session_${n}_date_time`]));
      const turns = conv[`session_${n}`] as Turn[];
      sessions.push({
        key: `session_${n}`,
        startedAt,
        // Turns carry no clock of their own: space them a minute apart from the session's start.
        messages: turns.map((t, i) => ({
          id: `${c.sample_id}:${t.dia_id}`,
          role: 'user' as const,
          speaker: t.speaker,
          text: t.blip_caption ? `${t.text} [shares an image: ${t.blip_caption}]` : t.text,
          timestamp: startedAt + i * 60_000,
          externalId: t.dia_id,
        })),
      });
    }
    return {
      sampleId: c.sample_id,
      speakers: [String(conv.speaker_a), String(conv.speaker_b)],
      sessions,
      qa: c.qa,
    };
  });
}
