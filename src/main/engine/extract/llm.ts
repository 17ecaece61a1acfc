/**
 * The optional LLM extraction path: asks an OpenAI-compatible chat completions endpoint
 * (a local Ollama, llama.cpp or vLLM server, or a hosted one) for an episode's facts,
 * entities and relationships, checks the reply, and hands the episode to the fallback
 * extractor (the rules) whenever anything about the LLM goes wrong. Off unless configured.
 */
import { z } from 'zod';
import { StrataError } from '../../../shared/errors';
import { ENTITY_KINDS, type ExtractInput, type Extraction, type Extractor } from './types';

export interface LlmExtractorConfig {
  /** Base URL up to the API version, e.g. `http://127.0.0.1:11434/v1`; `/chat/completions` is appended. */
  url: string;
  model: string;
  /** Sent as `Authorization: Bearer …`; local servers usually need none. */
  apiKey?: string;
  /** Covers the whole exchange, body included. */
  timeoutMs?: number;
  /** Injected for tests or proxies; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** Local models on a laptop can take tens of seconds for a long episode; past this the rules are the better deal. */
export const DEFAULT_LLM_TIMEOUT_MS = 60_000;

/** llmError is stored and shown in traces: keep it a line, not a server's error page. */
const MAX_REASON_CHARS = 300;

export const LLM_FALLBACK_VIA = 'rules-after-llm-failure';

const SYSTEM_PROMPT = `You extract long-term memory from a conversation episode.
The user message is JSON: {"episodeId", "sessionId", "messages": [{"id", "speaker", "others", "timestamp", "weekday", "text"}]}.
"timestamp" is the ISO 8601 time the message was sent; "others" are the other participants.

Reply with one JSON object and nothing else, in exactly this shape:
{
  "facts": [{
    "text": "one plain statement, e.g. Caroline went to an LGBTQ support group on 7 May 2023.",
    "subject": "who or what the fact is about, by name",
    "predicate": "lemmatised verb phrase, e.g. go to, live in, work at, like",
    "object": "what the predicate applies to",
    "validFrom": "ISO 8601 date the fact holds from",
    "stateful": true,
    "entities": ["names of entities the fact mentions"],
    "sourceMessageIds": ["ids of the messages the fact comes from"]
  }],
  "entities": [{"name": "display name", "kind": "${ENTITY_KINDS.join('|')}", "aliases": ["other names used"]}],
  "relationships": [{"from": "entity name", "to": "entity name", "kind": "plain words, e.g. friend of, lives in, works at", "sourceMessageIds": ["message ids"]}]
}

Rules:
- Resolve "I", "me" and "my" to the speaker's name, and "you" to the person addressed (from "others"). A subject is always a name, never a pronoun.
- Resolve relative dates ("yesterday", "last Saturday", "next month") against the timestamp of the message that says them, and write absolute dates in both "text" and "validFrom". Without a date in the message, validFrom is the message's date.
- One plain statement per fact; split compound sentences into several facts.
- stateful is true for ongoing states a later fact can replace (lives in, works at, likes, is married to) and false for dated events.
- Every fact and relationship cites the ids of the messages it comes from in sourceMessageIds; use only ids from the input.
- Extract only what the messages state. Skip greetings and small talk. If nothing is worth remembering, return empty arrays.`;

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/** Builds the chat request body; exported so the prompt's content can be checked without a server. */
export function buildChatRequest(model: string, input: ExtractInput): Record<string, unknown> {
  const episode = {
    episodeId: input.episodeId,
    sessionId: input.sessionId,
    messages: input.messages.map((m) => {
      const at = new Date(m.timestamp);
      // The weekday is spelled out because models resolve "last Saturday" badly when they must compute it.
      return {
        id: m.id,
        speaker: m.speaker,
        others: m.others,
        timestamp: at.toISOString(),
        weekday: WEEKDAYS[at.getUTCDay()],
        text: m.text,
      };
    }),
  };
  return {
    model,
    temperature: 0,
    response_format: { type: 'json_object' },
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: JSON.stringify(episode) },
    ],
  };
}

const name = z.string().trim().min(1);
const messageIds = z.array(z.string().min(1)).min(1);
// Epoch ms or any date string Date.parse accepts; a date-only "2023-05-07" is midnight UTC.
const validFrom = z.union([
  z.number().finite(),
  z
    .string()
    .transform((s) => Date.parse(s))
    .refine((ms) => !Number.isNaN(ms), { message: 'not a parseable date' }),
]);
// Models often capitalise enum values ("Person"); that is not worth a fallback.
const entityKind = z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(ENTITY_KINDS));

// Not strict objects: extra keys a model adds (confidence, notes) are dropped, not treated as failure.
// Missing lists that are merely empty (aliases, entities, relationships) default to []; missing fields
// of a fact do not, since guessing them would store something the model never said.
const llmReplySchema = z.object({
  facts: z.array(
    z.object({
      text: name,
      subject: name,
      predicate: name,
      object: z.string().trim(),
      validFrom,
      stateful: z.boolean(),
      entities: z.array(name).default([]),
      sourceMessageIds: messageIds,
    }),
  ),
  entities: z.array(z.object({ name, kind: entityKind, aliases: z.array(name).default([]) })).default([]),
  relationships: z.array(z.object({ from: name, to: name, kind: name, sourceMessageIds: messageIds })).default([]),
});

type LlmReply = z.output<typeof llmReplySchema>;

/** Pronouns a subject must never be left as: the whole point of the LLM path is that it resolves them. */
const UNRESOLVED_SUBJECTS = new Set(['i', 'me', 'my', 'myself', 'mine', 'you', 'we', 'us']);

/** One LLM stage failed; the message is the `llmError` reason, `<stage>: <detail>`. */
class LlmFailure extends Error {
  constructor(stage: string, detail: string) {
    super(`${stage}: ${detail}`);
    this.name = 'LlmFailure';
  }
}

function zodReason(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  let path = '';
  for (const p of issue.path) path += typeof p === 'number' ? `[${p}]` : path === '' ? String(p) : `.${String(p)}`;
  const problem =
    issue.code === 'invalid_type' && /received undefined/.test(issue.message) ? 'required' : issue.message;
  return path === '' ? problem : `${path}: ${problem}`;
}

function clip(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** Some local servers ignore response_format and wrap the JSON in a Markdown fence anyway. */
function stripFence(content: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/i.exec(content);
  return m?.[1] ?? content;
}

function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // undici reports "fetch failed" and keeps the useful part (ECONNREFUSED, ENOTFOUND) in the cause.
  const cause = err.cause;
  if (cause instanceof Error && cause.message !== '') return cause.message;
  return err.message;
}

/**
 * Rejects replies that parse but cannot be trusted. A cited id that is not in the episode means
 * the model invented provenance, and a pronoun subject means it skipped resolution; either way
 * the whole reply is discarded rather than filtered, because the rules' complete answer is more
 * trustworthy than the remains of a reply already shown to be careless.
 */
function checkReply(reply: LlmReply, input: ExtractInput): void {
  const known = new Set(input.messages.map((m) => m.id));
  const checkIds = (where: string, ids: readonly string[]) => {
    const unknown = ids.find((id) => !known.has(id));
    if (unknown !== undefined) throw new LlmFailure('provenance', `${where} cites unknown message id "${unknown}"`);
  };
  reply.facts.forEach((f, i) => {
    checkIds(`facts[${i}]`, f.sourceMessageIds);
    if (UNRESOLVED_SUBJECTS.has(f.subject.toLowerCase())) {
      throw new LlmFailure('subject', `facts[${i}].subject is the unresolved pronoun "${f.subject}"`);
    }
  });
  reply.relationships.forEach((r, i) => {
    checkIds(`relationships[${i}]`, r.sourceMessageIds);
  });
}

function parseContent(bodyText: string): unknown {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    throw new LlmFailure('http', `response body is not JSON: ${clip(bodyText, 80)}`);
  }
  const choice = (body as { choices?: { message?: { content?: unknown }; finish_reason?: unknown }[] } | null)
    ?.choices?.[0];
  const content = choice?.message?.content;
  if (typeof content !== 'string') throw new LlmFailure('reply', 'no choices[0].message.content string');
  try {
    return JSON.parse(stripFence(content));
  } catch (err) {
    // A reply cut at max tokens is the usual cause of broken JSON; say so rather than print a parse error.
    if (choice?.finish_reason === 'length') throw new LlmFailure('json', 'content truncated (finish_reason "length")');
    throw new LlmFailure('json', `content is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

function validateConfig(config: LlmExtractorConfig): { endpoint: string; timeoutMs: number } {
  let endpoint: string;
  try {
    const base = new URL(config.url);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('not http(s)');
    endpoint = `${base.href.replace(/\/+$/, '')}/chat/completions`;
  } catch {
    throw new StrataError('INVALID_INPUT', `llm.url: not an http(s) URL: ${config.url}`, { field: 'llm.url' });
  }
  if (config.model.trim() === '') {
    throw new StrataError('INVALID_INPUT', 'llm.model: required', { field: 'llm.model' });
  }
  const timeoutMs = config.timeoutMs ?? DEFAULT_LLM_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new StrataError('INVALID_INPUT', `llm.timeoutMs: must be a positive number, got ${timeoutMs}`, {
      field: 'llm.timeoutMs',
    });
  }
  return { endpoint, timeoutMs };
}

/**
 * An Extractor that asks the LLM and falls back to `fallback` on any LLM failure, marking the
 * result `via: 'rules-after-llm-failure'` with the reason in `llmError`. It never throws for LLM
 * problems; a bad config throws INVALID_INPUT here, at creation, and an error thrown by the
 * fallback itself propagates, since hiding the rules' own bug would help no one.
 */
export function createLlmExtractor(config: LlmExtractorConfig, fallback: Extractor): Extractor {
  const { endpoint, timeoutMs } = validateConfig(config);
  const doFetch = config.fetch ?? globalThis.fetch;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (config.apiKey !== undefined && config.apiKey !== '') headers.authorization = `Bearer ${config.apiKey}`;

  const askLlm = async (input: ExtractInput): Promise<Extraction> => {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    let status: number;
    let statusText: string;
    let bodyText: string;
    try {
      const res = await doFetch(endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify(buildChatRequest(config.model, input)),
        signal: controller.signal,
      });
      status = res.status;
      statusText = res.statusText;
      bodyText = await res.text();
    } catch (err) {
      if (timedOut) throw new LlmFailure('timeout', `no complete reply from ${endpoint} within ${timeoutMs} ms`);
      throw new LlmFailure('network', describeFetchError(err));
    } finally {
      clearTimeout(timer);
    }
    if (status < 200 || status > 299) {
      const detail = bodyText.trim() === '' ? '' : `: ${clip(bodyText, 120)}`;
      throw new LlmFailure('http', `${status} ${statusText}`.trim() + detail);
    }

    const parsed = llmReplySchema.safeParse(parseContent(bodyText));
    if (!parsed.success) throw new LlmFailure('schema', zodReason(parsed.error));
    checkReply(parsed.data, input);
    return { ...parsed.data, via: `llm:${config.model}` };
  };

  return {
    async extract(input: ExtractInput): Promise<Extraction> {
      let reason: string;
      try {
        return await askLlm(input);
      } catch (err) {
        reason =
          err instanceof LlmFailure ? err.message : `internal: ${err instanceof Error ? err.message : String(err)}`;
      }
      const result = await fallback.extract(input);
      return { ...result, via: LLM_FALLBACK_VIA, llmError: clip(reason, MAX_REASON_CHARS) };
    },
  };
}
