import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_CHARS } from '../../../shared/schema';
import { detectFormat, parseFiles, type RawInput } from '.';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', '..', 'test', 'fixtures', 'import');
const file = (p: string): RawInput => ({
  path: p.split('/').pop() as string,
  bytes: new Uint8Array(readFileSync(join(FIXTURES, p))),
});
const parse = (paths: string[], opts: Parameters<typeof parseFiles>[1] = { name: 'test' }) =>
  parseFiles(paths.map(file), opts);
const rows = (r: ReturnType<typeof parse>) =>
  r.sessions.map((s) => ({ id: s.session.id, messages: s.messages.map((m) => [m.id, m.role, m.speaker, m.text]) }));
const refusal = (f: () => unknown): { code: string; message: string } => {
  try {
    f();
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected a refusal');
};

describe('ChatGPT', () => {
  it('follows the active branch, skips hidden and tool messages, keeps multimodal strings, fills missing times', () => {
    const r = parse(['chatgpt/conversations.json']);
    expect(r.format).toBe('chatgpt');
    expect(r.user).toBe('User');
    expect(rows(r)).toEqual([
      {
        id: 'chatgpt:c-lisbon',
        messages: [
          ['chatgpt:c-lisbon:m-2', 'user', 'User', 'I am moving to Lisbon in March.'],
          ['chatgpt:c-lisbon:m-3', 'assistant', 'ChatGPT', 'Congratulations! Do you need help finding a flat?'],
          ['chatgpt:c-lisbon:m-4', 'user', 'User', 'Here is the floor plan.\nIs it big enough for two?'],
          ['chatgpt:c-lisbon:m-5b', 'assistant', 'ChatGPT', 'Yes, 60 square metres suits two people.'],
        ],
      },
      {
        id: 'chatgpt:c-python',
        messages: [
          ['chatgpt:c-python:p1', 'user', 'User', 'How do I read a CSV file?'],
          [
            'chatgpt:c-python:p3',
            'assistant',
            'ChatGPT',
            "import csv\nwith open('f.csv') as f:\n    rows = list(csv.reader(f))",
          ],
        ],
      },
    ]);
    const [lisbon, python] = r.sessions;
    // m-3 has no time: it takes m-2's; p1 has none and nothing before it: it takes the next one's.
    expect(lisbon?.messages.map((m) => m.timestamp)).toEqual([
      1700000010000, 1700000010000, 1700000100000, 1700000120000,
    ]);
    expect(python?.messages[0]?.timestamp).toBe(1700100060000);
    expect(lisbon?.session).toMatchObject({ title: 'Trip to Lisbon', startedAt: 1700000000500, userId: 'User' });
    expect(r.notes.join(' ')).toMatch(/1 hidden message skipped.*1 tool message /);
  });

  it('names the user as told', () => {
    const r = parse(['chatgpt/conversations.json'], { name: 'x', user: 'Maria' });
    expect(r.sessions[0]?.messages[0]?.speaker).toBe('Maria');
    expect(r.sessions[0]?.session.userId).toBe('Maria');
  });

  it('reads the export ZIP as downloaded, leaving out what is not a conversation', () => {
    const r = parse(['chatgpt-export.zip']);
    expect(r.format).toBe('chatgpt');
    expect(rows(r)).toEqual(rows(parse(['chatgpt/conversations.json'])));
    expect(r.notes.join(' ')).toMatch(/left out \(not conversations\): message_feedback\.json, user\.json/);
  });

  it('merges split conversations-000/-001 files', () => {
    const all = JSON.parse(readFileSync(join(FIXTURES, 'chatgpt', 'conversations.json'), 'utf8')) as unknown[];
    const zip = zipSync({
      'conversations-000.json': strToU8(JSON.stringify([all[0]])),
      'conversations-001.json': strToU8(JSON.stringify([all[1]])),
    });
    const r = parseFiles([{ path: 'split.zip', bytes: zip }], { name: 'x' });
    expect(r.sessions.map((s) => s.session.id)).toEqual(['chatgpt:c-lisbon', 'chatgpt:c-python']);
  });

  it('refuses a bad role naming the conversation and the node', () => {
    const bad = JSON.stringify([
      {
        id: 'c1',
        current_node: 'a',
        mapping: { a: { id: 'a', parent: null, message: { author: { role: 'robot' } } } },
      },
    ]);
    const err = refusal(() => parseFiles([{ path: 'conversations.json', text: bad }], { name: 'x' }));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toMatch(/^conversations\.json\[0\]\.mapping\.a\.message\.author\.role: expected user/);
  });
});

describe('Claude', () => {
  it('prefers joined content blocks over text, keeps attachments, drops empty turns', () => {
    const r = parse(['claude/conversations.json']);
    expect(r.format).toBe('claude');
    expect(rows(r)).toEqual([
      {
        id: 'claude:cl-1',
        messages: [
          [
            'claude:cl-1:cm-1',
            'user',
            'User',
            'I want to plant tomatoes on the balcony.\n\nIt faces south.\n\n[attachment balcony.txt]\nBalcony: 4 m by 1.5 m.',
          ],
          ['claude:cl-1:cm-2', 'assistant', 'Claude', 'South-facing is ideal for tomatoes.'],
        ],
      },
    ]);
    expect(r.sessions[0]?.messages[0]?.timestamp).toBe(Date.parse('2024-04-01T09:00:05Z'));
  });

  it('imports project documents as notes', () => {
    const r = parse(['claude/projects.json']);
    expect(rows(r)).toEqual([
      {
        id: 'claude-project:pr-1',
        messages: [
          ['claude-project:pr-1:doc-1', 'user', 'User', 'outline.md\n\nChapter 1: memory in language models.'],
        ],
      },
    ]);
  });

  it('refuses an unknown sender, naming the message', () => {
    const bad = JSON.stringify([{ uuid: 'u', chat_messages: [{ uuid: 'm', sender: 'bot', text: 'x' }] }]);
    const err = refusal(() => parseFiles([{ path: 'conversations.json', text: bad }], { name: 'x' }));
    expect(err.message).toMatch(/^conversations\.json\[0\]\.chat_messages\[0\]\.sender: expected human or assistant/);
  });
});

describe('WhatsApp', () => {
  it('Android, day first: continuation lines joined, system lines skipped, media noted, the user inferred', () => {
    const r = parse(['whatsapp/WhatsApp Chat with Ann.txt']);
    expect(r.format).toBe('whatsapp');
    expect(r.user).toBe('Ben');
    const s = r.sessions[0];
    expect(s?.session).toMatchObject({ title: 'WhatsApp: Ann', participants: ['Ann', 'Ben'], userId: 'Ben' });
    expect(s?.messages.map((m) => [m.speaker, m.text, m.timestamp])).toEqual([
      ['Ann', 'Are you coming to the concert on Friday?', new Date(2023, 2, 12, 9, 16).getTime()],
      [
        'Ben',
        'Yes! I bought the tickets.\nThey were 40 euros each.\n\nSee you there.',
        new Date(2023, 2, 12, 9, 18).getTime(),
      ],
      ['Ann', '[media omitted]', new Date(2023, 2, 13, 21, 2).getTime()],
      ['Ann', 'My new job starts in April: at the library.', new Date(2023, 2, 13, 21, 3).getTime()],
    ]);
    expect(r.notes[0]).toMatch(/1 system line /);
  });

  it('US month first with AM/PM and 2-digit years', () => {
    const r = parse(['whatsapp/us.txt']);
    expect(r.sessions[0]?.messages.map((m) => [m.speaker, m.timestamp])).toEqual([
      ['Carla', new Date(2023, 2, 7, 9, 5).getTime()],
      ['Dan', new Date(2023, 2, 7, 21, 30).getTime()],
      ['Dan', new Date(2023, 2, 14, 10, 0).getTime()],
    ]);
  });

  it('iOS brackets, dots, seconds and direction marks; an attachment kept, the marked notice skipped', () => {
    const r = parse(['whatsapp/ios.txt']);
    expect(r.sessions[0]?.messages.map((m) => [m.speaker, m.text, m.timestamp])).toEqual([
      ['Eve', 'I passed my driving test!', new Date(2023, 2, 12, 9, 16, 10).getTime()],
      ['Finn', '[attachment: 00000012-PHOTO-2023-03-12.jpg]', new Date(2023, 2, 12, 9, 17).getTime()],
      ['Finn', 'Well done.\nLet us celebrate on Saturday.', new Date(2023, 2, 13, 18).getTime()],
    ]);
  });

  it('the user can override day/month order; a file whose dates disagree is refused naming the line', () => {
    const one = '01/02/2023, 10:00 - A: x\n';
    const read = (dayFirst?: boolean) =>
      parseFiles([{ path: 'c.txt', text: one }], { name: 'x', ...(dayFirst !== undefined && { dayFirst }) }).sessions[0]
        ?.messages[0]?.timestamp;
    expect(read()).toBe(new Date(2023, 1, 1, 10).getTime());
    expect(read(false)).toBe(new Date(2023, 0, 2, 10).getTime());
    const text = '13/01/2023, 10:00 - A: one\n01/13/2023, 10:00 - B: two\n';
    const err = refusal(() => parseFiles([{ path: 'chat.txt', text }], { name: 'x' }));
    expect(err.message).toMatch(/^chat\.txt line 2: dates disagree/);
  });

  it('the same export read twice gives the same ids; identical messages stay apart', () => {
    const text = '01/02/2023, 10:00 - A: ok\n01/02/2023, 10:00 - A: ok\n';
    const a = parseFiles([{ path: 'chat.txt', text }], { name: 'x' });
    const b = parseFiles([{ path: 'chat.txt', text }], { name: 'x' });
    expect(a.sessions[0]?.messages.map((m) => m.id)).toEqual(b.sessions[0]?.messages.map((m) => m.id));
    expect(new Set(a.sessions[0]?.messages.map((m) => m.id)).size).toBe(2);
  });

  it('reads an iOS export ZIP', () => {
    const r = parse(['whatsapp-ios.zip']);
    expect(r.format).toBe('whatsapp');
    expect(r.sessions[0]?.messages).toHaveLength(3);
  });
});

describe('Telegram', () => {
  it('full export: entity arrays joined, service messages skipped, media noted, the user from personal_information', () => {
    const r = parse(['telegram/result.json']);
    expect(r.format).toBe('telegram');
    expect(r.user).toBe('Gus');
    expect(rows(r)).toEqual([
      {
        id: 'telegram:222',
        messages: [
          ['telegram:222:2', 'user', 'Hana', 'Read this book, it is great'],
          ['telegram:222:3', 'user', 'Gus', 'I will start it tonight.'],
          ['telegram:222:4', 'user', 'Gus', '[photo]'],
        ],
      },
      { id: 'telegram:333', messages: [['telegram:333:10', 'user', 'Ivo', 'Meet at the wall at 7.']] },
    ]);
    expect(r.sessions[0]?.messages[0]?.timestamp).toBe(1682935260000);
    expect(r.sessions.every((s) => s.session.userId === 'Gus')).toBe(true);
    expect(r.notes[0]).toMatch(/1 service message /);
  });

  it('a single chat export, text as a mixed array; the user inferred from a personal chat', () => {
    const chat = {
      name: 'Hana',
      type: 'personal_chat',
      id: 9,
      messages: [
        {
          id: 1,
          type: 'message',
          date: '2023-05-01T10:01:00',
          from: 'Hana',
          text: ['Hi ', { type: 'link', text: 'x.org' }],
        },
        { id: 2, type: 'message', date_unixtime: '1682935500', from: 'Gus', text: 'Hello' },
      ],
    };
    const r = parseFiles([{ path: 'result.json', text: JSON.stringify(chat) }], { name: 'x' });
    expect(r.user).toBe('Gus');
    expect(rows(r)[0]?.messages.map((m) => m[3])).toEqual(['Hi x.org', 'Hello']);
  });
});

describe('notes, JSONL and the older formats', () => {
  it('Markdown: one session per file, one message per section, the date from the name', () => {
    const r = parse(['notes/2024-02-10-reading.md']);
    expect(r.format).toBe('notes');
    expect(r.sessions[0]?.session).toMatchObject({ title: 'Reading list', startedAt: new Date(2024, 1, 10).getTime() });
    expect(r.sessions[0]?.messages.map((m) => m.text)).toEqual([
      '# Reading list\n\nBooks I want to read this year.',
      '## Fiction\n- The Left Hand of Darkness',
      '## Non-fiction\n- Thinking in Systems',
    ]);
  });

  it('JSONL: roles or speakers, grouped by session, own ids kept', () => {
    const r = parse(['jsonl/chat.jsonl']);
    expect(r.format).toBe('jsonl');
    expect(r.sessions.map((s) => s.messages.map((m) => [m.role, m.speaker, m.text]))).toEqual([
      [
        ['user', 'user', 'My dentist is Dr. Silva.'],
        ['assistant', 'assistant', 'Noted: Dr. Silva is your dentist.'],
      ],
      [['user', 'Jo', 'I run on Tuesdays.']],
    ]);
    expect(r.sessions[1]?.messages[0]).toMatchObject({ externalId: 'j-3', timestamp: 1704708000000 });
    const err = refusal(() =>
      parseFiles([{ path: 'a.jsonl', text: '{"role":"user","content":"x"}\n{"role":1' }], { name: 'x' }),
    );
    expect(err.message).toMatch(/^a\.jsonl line 2: not valid JSON/);
  });

  it('detects each file from its content, whatever was chosen or named before', () => {
    expect(detectFormat({ path: 'a.txt', text: '[{"speaker":"A","text":"x"}]' })).toBe('messages');
    expect(detectFormat({ path: 'a.json', text: 'Ann: hello' })).toBe('text');
    expect(detectFormat({ path: 'a.txt', text: '[12.03.23, 09:16:10] Eve: hi' })).toBe('whatsapp');
    expect(detectFormat({ path: 'conversations.json', text: '[{"uuid":"u","chat_messages":[]}]' })).toBe('claude');
  });

  it('splits a message over the bound instead of refusing the export', () => {
    const long = `${'word '.repeat(9000)}\n\n${'more '.repeat(9000)}`;
    const r = parseFiles([{ path: 'a.jsonl', text: JSON.stringify({ role: 'user', content: long, id: 'L' }) }], {
      name: 'x',
    });
    const msgs = r.sessions[0]?.messages ?? [];
    expect(msgs.length).toBe(3);
    expect(msgs.every((m) => m.text.length <= MAX_MESSAGE_CHARS)).toBe(true);
    expect(
      msgs
        .map((m) => m.text)
        .join(' ')
        .replace(/\s+/g, ' ')
        .trim(),
    ).toBe(long.replace(/\s+/g, ' ').trim());
    expect(msgs[1]?.id).toMatch(/#2$/);
  });
});

describe('ZIP refusals', () => {
  it.each([
    ['a corrupt archive', 'corrupt.zip', /^corrupt\.zip: not a readable ZIP/],
    ['an entry whose path escapes', 'escape.zip', /^escape\.zip: \.\.\/\.\.\/evil\.txt: an entry whose path escapes/],
    ['text entries over the size bound', 'oversize.zip', /^oversize\.zip: conversations\.json: .*more than 256 MiB/],
  ])('refuses %s with a typed error naming it', (_why, name, message) => {
    const err = refusal(() => parse([name]));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toMatch(message);
  });

  it('refuses too many entries and an absolute path', () => {
    const many = zipSync(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.txt`, strToU8('A: x')])));
    const err = refusal(() =>
      parseFiles([{ path: 'many.zip', bytes: many }], { name: 'x', zipLimits: { entries: 20, bytes: 1e6 } }),
    );
    expect(err.message).toMatch(/^many\.zip: holds more than 20 entries/);
    const abs = zipSync({ '/etc/passwd.txt': strToU8('A: x') });
    expect(refusal(() => parseFiles([{ path: 'abs.zip', bytes: abs }], { name: 'x' })).message).toMatch(/escapes/);
  });
});
