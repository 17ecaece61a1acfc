/**
 * Contract test for the LLM extractor against a real HTTP server on 127.0.0.1 that plays an
 * OpenAI-compatible chat completions endpoint: what the extractor sends, how a good reply
 * becomes an Extraction, and that every way the LLM can fail ends in the fallback's result.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLlmExtractor, LLM_FALLBACK_VIA } from './llm';
import type { ExtractInput, Extraction, Extractor } from './types';

const MODEL = 'test-model';

const MAY_8 = Date.UTC(2023, 4, 8, 13, 56);
const MAY_8_LATER = Date.UTC(2023, 4, 8, 14, 2);

const INPUT: ExtractInput = {
  episodeId: 'ep-1',
  sessionId: 'sess-1',
  messages: [
    {
      id: 'm1',
      speaker: 'Caroline',
      others: ['Melanie'],
      text: 'I went to a LGBTQ support group yesterday.',
      timestamp: MAY_8,
    },
    {
      id: 'm2',
      speaker: 'Melanie',
      others: ['Caroline'],
      text: 'That is great! I live in Boston now, by the way.',
      timestamp: MAY_8_LATER,
    },
  ],
};

/** Stands in for the rules extractor: a fixed, recognisable answer, and a record of what it was given. */
const FALLBACK_RESULT: Extraction = {
  facts: [
    {
      text: 'Caroline said: I went to a LGBTQ support group yesterday.',
      subject: 'Caroline',
      predicate: 'go to',
      object: 'LGBTQ support group',
      validFrom: MAY_8,
      stateful: false,
      entities: ['Caroline'],
      sourceMessageIds: ['m1'],
    },
  ],
  entities: [{ name: 'Caroline', kind: 'person', aliases: [] }],
  relationships: [],
  via: 'rules',
};

function makeFallback(): Extractor & { calls: ExtractInput[] } {
  const calls: ExtractInput[] = [];
  return {
    calls,
    async extract(input) {
      calls.push(input);
      return structuredClone(FALLBACK_RESULT);
    },
  };
}

/** The reply content a well-behaved model sends for INPUT; validFrom in both accepted forms. */
function goodContent(): Record<string, unknown> {
  return {
    facts: [
      {
        text: 'Caroline went to a LGBTQ support group on 7 May 2023.',
        subject: 'Caroline',
        predicate: 'go to',
        object: 'LGBTQ support group',
        validFrom: '2023-05-07',
        stateful: false,
        entities: ['Caroline', 'LGBTQ support group'],
        sourceMessageIds: ['m1'],
      },
      {
        text: 'Melanie lives in Boston.',
        subject: 'Melanie',
        predicate: 'live in',
        object: 'Boston',
        validFrom: MAY_8_LATER,
        stateful: true,
        entities: ['Melanie', 'Boston'],
        sourceMessageIds: ['m2'],
      },
    ],
    entities: [
      { name: 'Caroline', kind: 'person', aliases: [] },
      { name: 'Melanie', kind: 'person', aliases: ['Mel'] },
      { name: 'Boston', kind: 'place', aliases: [] },
      { name: 'LGBTQ support group', kind: 'organization', aliases: [] },
    ],
    relationships: [{ from: 'Melanie', to: 'Boston', kind: 'lives in', sourceMessageIds: ['m2'] }],
  };
}

function chatReply(content: string, finishReason = 'stop'): string {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
  });
}

interface SeenRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: unknown;
}

type Responder = (res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let seen: SeenRequest[];
let respond: Responder;

function replyWith(status: number, body: string): Responder {
  return (res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  };
}

beforeEach(async () => {
  seen = [];
  respond = replyWith(200, chatReply(JSON.stringify(goodContent())));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // Kept as text so a test can show what was sent.
      }
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      respond(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterEach(async () => {
  // The timeout test leaves a request hanging; drop it so close() does not wait for it.
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function expectFallback(
  extractor: Extractor,
  fallback: ReturnType<typeof makeFallback>,
  reason: RegExp,
): Promise<Extraction> {
  const result = await extractor.extract(INPUT);
  expect(result).toEqual({ ...FALLBACK_RESULT, via: LLM_FALLBACK_VIA, llmError: expect.stringMatching(reason) });
  expect(fallback.calls).toEqual([INPUT]);
  return result;
}

describe('createLlmExtractor: request shape', () => {
  it('POSTs an OpenAI chat completion to {url}/chat/completions carrying every message', async () => {
    const extractor = createLlmExtractor({ url: baseUrl, model: MODEL, apiKey: 'sk-local' }, makeFallback());
    await extractor.extract(INPUT);

    expect(seen).toHaveLength(1);
    const req = seen[0] as SeenRequest;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-local');
    expect(req.headers['content-type']).toBe('application/json');

    const body = req.body as {
      model: string;
      temperature: number;
      response_format: unknown;
      messages: { role: string; content: string }[];
    };
    expect(body.model).toBe(MODEL);
    expect(body.temperature).toBe(0);
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    for (const m of body.messages) expect(typeof m.content).toBe('string');

    const system = body.messages[0]?.content ?? '';
    expect(system).toMatch(/JSON/);
    expect(system).toMatch(/facts/);
    expect(system).toMatch(/entities/);
    expect(system).toMatch(/relationships/);
    expect(system).toMatch(/sourceMessageIds/);
    expect(system).toMatch(/speaker's name/);
    expect(system).toMatch(/relative dates/i);

    const user = body.messages[1]?.content ?? '';
    for (const m of INPUT.messages) {
      expect(user).toContain(m.id);
      expect(user).toContain(m.speaker);
      expect(user).toContain(new Date(m.timestamp).toISOString());
      expect(user).toContain(m.text);
    }
  });

  it('sends no Authorization header without an apiKey and tolerates a trailing slash on the URL', async () => {
    const extractor = createLlmExtractor({ url: `${baseUrl}/`, model: MODEL }, makeFallback());
    await extractor.extract(INPUT);

    expect(seen[0]?.url).toBe('/v1/chat/completions');
    expect(seen[0]?.headers.authorization).toBeUndefined();
  });

  it('refuses a config that cannot work at creation, not at each call', () => {
    expect(() => createLlmExtractor({ url: 'not a url', model: MODEL }, makeFallback())).toThrow(/llm\.url/);
    expect(() => createLlmExtractor({ url: baseUrl, model: ' ' }, makeFallback())).toThrow(/llm\.model/);
    expect(() => createLlmExtractor({ url: baseUrl, model: MODEL, timeoutMs: 0 }, makeFallback())).toThrow(
      /llm\.timeoutMs/,
    );
  });
});

describe('createLlmExtractor: good replies', () => {
  it('parses the reply into an Extraction with epoch-ms validFrom and via llm:<model>', async () => {
    const fallback = makeFallback();
    const extractor = createLlmExtractor({ url: baseUrl, model: MODEL }, fallback);
    const result = await extractor.extract(INPUT);

    const expected = goodContent() as unknown as Extraction;
    expect(result).toEqual({
      facts: [
        { ...expected.facts[0], validFrom: Date.UTC(2023, 4, 7) },
        { ...expected.facts[1], validFrom: MAY_8_LATER },
      ],
      entities: expected.entities,
      relationships: expected.relationships,
      via: `llm:${MODEL}`,
    });
    expect(result.llmError).toBeUndefined();
    expect(fallback.calls).toEqual([]);
  });

  it('accepts a fenced reply, capitalised kinds and missing empty lists, and drops extra keys', async () => {
    const content = {
      facts: [
        {
          text: 'Melanie lives in Boston.',
          subject: 'Melanie',
          predicate: 'live in',
          object: 'Boston',
          validFrom: '2023-05-08T14:02:00Z',
          stateful: true,
          sourceMessageIds: ['m2'],
          confidence: 0.9,
        },
      ],
      entities: [{ name: 'Boston', kind: 'Place' }],
    };
    respond = replyWith(200, chatReply(`\`\`\`json\n${JSON.stringify(content)}\n\`\`\``));
    const result = await createLlmExtractor({ url: baseUrl, model: MODEL }, makeFallback()).extract(INPUT);

    expect(result).toEqual({
      facts: [
        {
          text: 'Melanie lives in Boston.',
          subject: 'Melanie',
          predicate: 'live in',
          object: 'Boston',
          validFrom: MAY_8_LATER,
          stateful: true,
          entities: [],
          sourceMessageIds: ['m2'],
        },
      ],
      entities: [{ name: 'Boston', kind: 'place', aliases: [] }],
      relationships: [],
      via: `llm:${MODEL}`,
    });
  });

  it('accepts an episode with nothing worth remembering', async () => {
    respond = replyWith(200, chatReply(JSON.stringify({ facts: [], entities: [], relationships: [] })));
    const result = await createLlmExtractor({ url: baseUrl, model: MODEL }, makeFallback()).extract(INPUT);
    expect(result).toEqual({ facts: [], entities: [], relationships: [], via: `llm:${MODEL}` });
  });
});

describe('createLlmExtractor: every failure falls back to the rules', () => {
  it('HTTP 500', async () => {
    respond = replyWith(500, JSON.stringify({ error: { message: 'model crashed' } }));
    const fallback = makeFallback();
    const result = await expectFallback(
      createLlmExtractor({ url: baseUrl, model: MODEL }, fallback),
      fallback,
      /^http: 500/,
    );
    expect(result.llmError).toContain('model crashed');
  });

  it('a response body that is not JSON', async () => {
    respond = replyWith(200, '<html>proxy error</html>');
    const fallback = makeFallback();
    await expectFallback(createLlmExtractor({ url: baseUrl, model: MODEL }, fallback), fallback, /^http: .*not JSON/);
  });

  it('a reply without choices[0].message.content', async () => {
    respond = replyWith(200, JSON.stringify({ choices: [] }));
    const fallback = makeFallback();
    await expectFallback(
      createLlmExtractor({ url: baseUrl, model: MODEL }, fallback),
      fallback,
      /^reply: no choices\[0\]\.message\.content/,
    );
  });

  it('content that is not JSON', async () => {
    respond = replyWith(200, chatReply('Sure! Here are the facts: Caroline went to a support group.'));
    const fallback = makeFallback();
    await expectFallback(
      createLlmExtractor({ url: baseUrl, model: MODEL }, fallback),
      fallback,
      /^json: content is not JSON/,
    );
  });

  it('content cut off at the token limit', async () => {
    respond = replyWith(200, chatReply('{"facts": [{"text": "Caroline went', 'length'));
    const fallback = makeFallback();
    await expectFallback(createLlmExtractor({ url: baseUrl, model: MODEL }, fallback), fallback, /^json: .*truncated/);
  });

  it('a schema mismatch: a fact without a subject', async () => {
    const content = goodContent();
    delete (content.facts as Record<string, unknown>[])[0]?.subject;
    respond = replyWith(200, chatReply(JSON.stringify(content)));
    const fallback = makeFallback();
    const result = await expectFallback(
      createLlmExtractor({ url: baseUrl, model: MODEL }, fallback),
      fallback,
      /^schema: /,
    );
    expect(result.llmError).toBe('schema: facts[0].subject: required');
  });

  it('a schema mismatch: an unparseable validFrom and an unknown entity kind', async () => {
    const badDate = goodContent();
    (badDate.facts as Record<string, unknown>[])[1] = {
      ...(badDate.facts as Record<string, unknown>[])[1],
      validFrom: 'last Saturday',
    };
    respond = replyWith(200, chatReply(JSON.stringify(badDate)));
    const fallback = makeFallback();
    await expectFallback(
      createLlmExtractor({ url: baseUrl, model: MODEL }, fallback),
      fallback,
      /^schema: facts\[1\]\.validFrom: /,
    );

    const badKind = goodContent();
    (badKind.entities as Record<string, unknown>[])[2] = { name: 'Boston', kind: 'city', aliases: [] };
    respond = replyWith(200, chatReply(JSON.stringify(badKind)));
    const fallback2 = makeFallback();
    await expectFallback(
      createLlmExtractor({ url: baseUrl, model: MODEL }, fallback2),
      fallback2,
      /^schema: entities\[2\]\.kind: /,
    );
  });

  it('a fact citing a message id that is not in the episode', async () => {
    const content = goodContent();
    (content.facts as Record<string, unknown>[])[1] = {
      ...(content.facts as Record<string, unknown>[])[1],
      sourceMessageIds: ['m2', 'm9'],
    };
    respond = replyWith(200, chatReply(JSON.stringify(content)));
    const fallback = makeFallback();
    const result = await expectFallback(
      createLlmExtractor({ url: baseUrl, model: MODEL }, fallback),
      fallback,
      /^provenance: /,
    );
    expect(result.llmError).toBe('provenance: facts[1] cites unknown message id "m9"');
  });

  it('a relationship citing a message id that is not in the episode', async () => {
    const content = goodContent();
    (content.relationships as Record<string, unknown>[])[0] = {
      from: 'Melanie',
      to: 'Boston',
      kind: 'lives in',
      sourceMessageIds: ['ep-1'],
    };
    respond = replyWith(200, chatReply(JSON.stringify(content)));
    const fallback = makeFallback();
    await expectFallback(
      createLlmExtractor({ url: baseUrl, model: MODEL }, fallback),
      fallback,
      /^provenance: relationships\[0\] cites unknown message id "ep-1"/,
    );
  });

  it('a fact whose subject is "I" (or "me")', async () => {
    for (const pronoun of ['I', 'me']) {
      const content = goodContent();
      (content.facts as Record<string, unknown>[])[0] = {
        ...(content.facts as Record<string, unknown>[])[0],
        subject: pronoun,
      };
      respond = replyWith(200, chatReply(JSON.stringify(content)));
      const fallback = makeFallback();
      const result = await expectFallback(
        createLlmExtractor({ url: baseUrl, model: MODEL }, fallback),
        fallback,
        /^subject: /,
      );
      expect(result.llmError).toBe(`subject: facts[0].subject is the unresolved pronoun "${pronoun}"`);
    }
  });

  it('a server that never answers, after timeoutMs', async () => {
    respond = () => {
      // Never answers: the request hangs until the extractor aborts it.
    };
    const fallback = makeFallback();
    // The behaviour, not the clock: it gave up on its own timeout (named in the reason), asked once, and the
    // rules answered; the test's own timeout is the bound against a hang.
    await expectFallback(
      createLlmExtractor({ url: baseUrl, model: MODEL, timeoutMs: 200 }, fallback),
      fallback,
      /^timeout: .*within 200 ms/,
    );
    expect(seen).toHaveLength(1);
  }, 10_000);

  it('a server that sends headers and then stalls the body, after timeoutMs', async () => {
    respond = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"choices": [');
    };
    const fallback = makeFallback();
    await expectFallback(
      createLlmExtractor({ url: baseUrl, model: MODEL, timeoutMs: 200 }, fallback),
      fallback,
      /^timeout: /,
    );
  }, 10_000);

  it('connection refused on a closed port', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const fallback = makeFallback();
    await expectFallback(
      createLlmExtractor({ url: `http://127.0.0.1:${port}/v1`, model: MODEL, timeoutMs: 5_000 }, fallback),
      fallback,
      /^network: .*ECONNREFUSED/,
    );
  }, 10_000);

  it('a fetch that throws something unexpected', async () => {
    const fallback = makeFallback();
    const throwingFetch = (async () => {
      throw new RangeError('boom');
    }) as unknown as typeof fetch;
    await expectFallback(
      createLlmExtractor({ url: baseUrl, model: MODEL, fetch: throwingFetch }, fallback),
      fallback,
      /^network: boom$/,
    );
    expect(seen).toEqual([]);
  });
});
