/**
 * A short sample conversation (written for Strata, free to ship) so a new user can see every layer fill without
 * importing anything of their own: two friends over two evenings, with facts that change (a move, a new job).
 */
import type { MessageInput } from '../../../../shared/schema';

export const SAMPLE_SESSIONS: { id: string; title: string; startedAt: string; messages: MessageInput[] }[] = [
  {
    id: 'sample:evening-1',
    title: 'Sample: catching up',
    startedAt: '2026-03-06T19:30:00Z',
    messages: [
      ['Alex', 'Hey Sam! How was the first week at the bakery?'],
      ['Sam', 'Exhausting but fun. I start at five in the morning now, so I am asleep by nine.'],
      ['Alex', 'That is early. Are you still living in Porto?'],
      ['Sam', 'Yes, still in Porto, in the flat near the river with my cat Miso.'],
      ['Alex', 'I finally signed up for the pottery class on Thursdays.'],
      ['Sam', 'Nice! You talked about that for months. Is Maria going with you?'],
      ['Alex', 'She is, we booked ten lessons together. Our first bowl was a disaster.'],
      ['Sam', 'Send me a photo of the next one. I want to see your progress.'],
    ],
  },
  {
    id: 'sample:evening-2',
    title: 'Sample: big news',
    startedAt: '2026-04-18T20:10:00Z',
    messages: [
      ['Sam', 'Big news: I moved to Lisbon last weekend!'],
      ['Alex', 'No way! What about the bakery job?'],
      ['Sam', 'I left it. I work at a bookshop in Lisbon now, it opens at ten, so I sleep properly again.'],
      ['Alex', 'That sounds so much better. Did Miso cope with the move?'],
      ['Sam', 'She hid under the bed for two days, but now she sits at the window all day.'],
      ['Alex', 'Maria and I finished the pottery course. I made a blue vase for you.'],
      ['Sam', 'I love it already. Bring it when you visit Lisbon in June.'],
    ],
  },
].map((s) => ({
  ...s,
  messages: s.messages.map(([speaker, text], i) => ({
    speaker: speaker as string,
    role: 'user' as const,
    text: text as string,
    timestamp: new Date(Date.parse(s.startedAt) + i * 90_000).toISOString(),
  })),
}));
