/**
 * Property-based round trips: generated ADK conversations (text with characters JSON escapes,
 * thoughts, function calls with their responses, inline data, metadata, state deltas in every scope,
 * events sharing a millisecond, events not made by createEvent) are appended through the adapter and
 * read back deep-equal, on every backend, whether the Go fields hold the whole event, the kept event
 * leaves out what they hold, or it is kept whole; windows of any size start at a user message and never hold a response without
 * its call.
 */
import { type Event as AdkEvent, createEvent, getFunctionCalls, getFunctionResponses } from '@google/adk';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdkSessionService } from '../../../src/adapters/adk/index.js';
import { keptBesideGoFields } from '../../../src/adapters/adk/kept-event.js';
import type { SessionService } from '../../../src/index.js';
import { adapterBackends } from './backends.js';

type Part = NonNullable<NonNullable<AdkEvent['content']>['parts']>[number];

/** Text PostgreSQL can hold: any well-formed Unicode but NUL. */
const text = fc.string({ unit: 'grapheme', maxLength: 24 }).map((s) => s.replaceAll('\u0000', ''));
/** Characters JSON, Go's encoder or JavaScript treat specially. */
const edgy = fc.constantFrom(
  '"',
  '\\',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\t',
  '\r\n',
  '\u007f',
  '<&>',
  '👋🏽',
  'e\u0301',
  'ש',
);
/**
 * Message text: any text, or text with those characters mixed in. (Not state keys: a key that
 * starts with a byte order mark is refused on every backend; docs/guarantees.md says why.)
 */
const messageText = fc.oneof(
  text,
  fc.array(fc.oneof(text, edgy), { minLength: 1, maxLength: 6 }).map((pieces) => pieces.join('')),
);
/** JSON as a model or a tool produces it: what survives JSON, without NUL. */
const json = fc
  .jsonValue({ maxDepth: 2, stringUnit: 'grapheme' })
  .map((v) => JSON.parse(JSON.stringify(v).replaceAll('\\u0000', '')) as unknown);
const jsonObject = fc.dictionary(text, json, { maxKeys: 3 });
const callId = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }).map((s) => `call-${s}`);

const plainPart: fc.Arbitrary<Part> = fc.oneof(
  messageText.map((t) => ({ text: t })),
  messageText.map((t) => ({ text: t, thought: true })),
  messageText.map((t) => ({ text: t, thoughtSignature: 'c2lnbmF0dXJl' })),
  fc.uint8Array({ maxLength: 32 }).map((bytes) => ({
    inlineData: { mimeType: 'image/png', data: Buffer.from(bytes).toString('base64') },
  })),
);
/** The parts a Go message holds exactly (a thought, then a text), or any mix of parts. */
const replyParts: fc.Arbitrary<Part[]> = fc.oneof(
  fc
    .tuple(messageText, messageText)
    .map(([thought, answer]) => [{ text: thought, thought: true }, { text: answer }]),
  fc.array(plainPart, { minLength: 1, maxLength: 3 }),
);
/** State keys in every scope; `app:`/`user:` always name a key (the bare prefix is refused). */
const stateKey = fc
  .tuple(fc.constantFrom('', 'app:', 'user:', 'temp:'), text)
  .map(([prefix, rest]) =>
    /^(app|user|temp):/.test(rest) ? `x${rest}` : prefix + (prefix && !rest ? 'k' : rest),
  );
const stateDelta = fc
  .array(fc.tuple(stateKey, json), { maxLength: 3 })
  .map((entries) => Object.fromEntries(entries) as Record<string, unknown>);

/**
 * Ways an event may differ: from what createEvent makes, which the kept event cannot shorten; from
 * what the Go fields alone give back (a content role its author does not imply, the epoch as its
 * time); or an event without content.
 */
type Oddity =
  | 'none'
  | 'no author'
  | 'fractional timestamp'
  | 'no defaults'
  | 'role not implied'
  | 'epoch timestamp'
  | 'no content';

interface Shape {
  author: string;
  parts: Part[];
  role: string;
  delta: Record<string, unknown>;
  tick: number;
  meta?: Record<string, unknown>;
  oddity?: Oddity;
}

/** One step of an agent: a reply, or a call followed by its response. */
const step: fc.Arbitrary<Shape[]> = fc.oneof(
  fc
    .record({
      parts: replyParts,
      delta: stateDelta,
      tick: fc.nat(2),
      oddity: fc.constantFrom<Oddity>(
        'none',
        'none',
        'none',
        'no author',
        'fractional timestamp',
        'no defaults',
        'role not implied',
        'epoch timestamp',
        'no content',
      ),
    })
    .map((s) => [{ author: 'agent', role: 'model', ...s }]),
  fc
    .record({
      id: callId,
      name: text,
      args: jsonObject,
      response: jsonObject,
      delta: stateDelta,
      meta: jsonObject,
    })
    .map((c) => [
      {
        author: 'agent',
        role: 'model',
        parts: [{ functionCall: { id: c.id, name: c.name, args: c.args } }],
        delta: {},
        tick: 1,
      },
      {
        author: 'agent',
        role: 'user',
        parts: [{ functionResponse: { id: c.id, name: c.name, response: c.response } }],
        delta: c.delta,
        tick: 0,
        meta: c.meta,
      },
    ]),
);
const turn: fc.Arbitrary<Shape[]> = fc
  .tuple(messageText, stateDelta, fc.array(step, { maxLength: 3 }))
  .map(([question, delta, steps]) => [
    { author: 'user', role: 'user', parts: [{ text: question }], delta, tick: 1 },
    ...steps.flat(),
  ]);
const conversation = fc.array(turn, { minLength: 1, maxLength: 4 }).map((turns) => turns.flat());

/**
 * A conversation whose events take every kept form (see keptForm), run besides the generated ones
 * so that the check that every form was met does not depend on what a run happens to generate.
 */
const everyForm: Shape[] = [
  { author: 'user', role: 'user', parts: [{ text: 'q' }], delta: {}, tick: 1 },
  { author: 'agent', role: 'model', parts: [{ text: 'a' }], delta: {}, tick: 1, oddity: 'none' },
  { author: 'agent', role: 'model', parts: [{ text: 'b' }], delta: {}, tick: 1, oddity: 'no author' },
  { author: 'agent', role: 'model', parts: [{ text: 'c' }], delta: {}, tick: 1, oddity: 'role not implied' },
  {
    author: 'agent',
    role: 'model',
    parts: [{ inlineData: { mimeType: 'image/png', data: 'AAEC' } }],
    delta: {},
    tick: 1,
    oddity: 'role not implied',
  },
];

/** Builds the events; `tick` 0 keeps the previous event's millisecond, so ties are common. */
function toEvents(shapes: Shape[]): AdkEvent[] {
  let timestamp = 1_760_000_000_000;
  return shapes.map((s) => {
    timestamp += s.tick;
    const event = createEvent({
      author: s.author,
      invocationId: 'inv',
      timestamp,
      content: { role: s.role, parts: s.parts },
      actions: { stateDelta: { ...s.delta } },
      ...(s.meta ? { customMetadata: s.meta } : {}),
    });
    return odd(event, s.oddity ?? 'none');
  });
}

function odd(event: AdkEvent, oddity: Oddity): AdkEvent {
  switch (oddity) {
    case 'none':
      return event;
    case 'no author':
      return { ...event, author: undefined };
    case 'fractional timestamp':
      return { ...event, timestamp: event.timestamp + 0.25 };
    case 'no defaults': {
      const { longRunningToolIds: _ids, actions, ...rest } = event;
      return { ...rest, actions: { stateDelta: actions.stateDelta } } as AdkEvent;
    }
    case 'role not implied':
      return { ...event, content: { ...event.content, role: 'user' } };
    case 'epoch timestamp':
      return { ...event, timestamp: 0 };
    case 'no content': {
      const { content: _content, ...rest } = event;
      return rest as AdkEvent;
    }
  }
}

/**
 * How generated events were kept: whole, short with the parts left out, short with them kept, or
 * not at all (the Go fields hold the whole event).
 */
function keptForm(event: AdkEvent): 'whole' | 'parts left out' | 'parts kept' | 'Go fields only' {
  const kept = keptBesideGoFields(event) as Partial<AdkEvent> | undefined;
  if (kept === undefined) return 'Go fields only';
  if (Object.hasOwn(kept, 'id')) return 'whole';
  return kept.content && !Object.hasOwn(kept.content, 'parts') ? 'parts left out' : 'parts kept';
}

describe.each(adapterBackends)('generated conversations on %s', (name, makeBackend) => {
  const backend = makeBackend();
  const numRuns = name === 'in-memory' ? 60 : 12;
  let store: SessionService;
  let sessions: AdkSessionService;
  let n = 0;
  const forms = new Map<string, number>();
  beforeAll(async () => {
    store = await backend.open();
    sessions = new AdkSessionService(store);
  });
  afterAll(async () => {
    await store.close();
    await backend.teardown();
  });

  async function play(shapes: Shape[]) {
    const session = await sessions.createSession({ appName: `prop-${++n}-${Date.now()}`, userId: 'u' });
    const events = toEvents(shapes);
    for (const event of events) {
      forms.set(keptForm(event), (forms.get(keptForm(event)) ?? 0) + 1);
      await sessions.appendEvent({ session, event });
    }
    return { session, events };
  }

  it('reads back every event deep-equal, and the state the live session object holds', async () => {
    await fc.assert(
      fc.asyncProperty(conversation, async (shapes) => {
        const { session, events } = await play(shapes);
        const loaded = await sessions.getSession({
          appName: session.appName,
          userId: 'u',
          sessionId: session.id,
        });
        expect(loaded!.events).toEqual(events);
        expect(loaded!.events).toEqual(session.events);
        expect(loaded!.state).toEqual(session.state);
        expect(Object.keys(loaded!.state).some((k) => k.startsWith('temp:'))).toBe(false);
      }),
      { numRuns, examples: [[everyForm]] },
    );
    // The runs went through every form of the kept event.
    expect([...forms.keys()].sort()).toEqual(['Go fields only', 'parts kept', 'parts left out', 'whole']);
  });

  it('starts every window at a user message and keeps each response with its call', async () => {
    await fc.assert(
      fc.asyncProperty(conversation, fc.integer({ min: 1, max: 12 }), async (shapes, numRecentEvents) => {
        const { session, events } = await play(shapes);
        const window = (await sessions.getSession({
          appName: session.appName,
          userId: 'u',
          sessionId: session.id,
          config: { numRecentEvents },
        }))!.events;
        const ids = events.map((e) => e.id);
        const positions = window.map((e) => ids.indexOf(e.id));
        expect(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!))).toBe(true);
        expect(window[0]!.author).toBe('user');
        // Apart from a user message put in front, the window lies within the last n events.
        const recent = events.length - numRecentEvents;
        expect(positions.slice(1).every((p) => p >= recent)).toBe(true);
        const called = new Set<string>();
        for (const event of window) {
          for (const call of getFunctionCalls(event)) called.add(call.id!);
          for (const response of getFunctionResponses(event)) expect(called.has(response.id!)).toBe(true);
        }
        // ... and misses none of them after its start but responses whose calls were cut off.
        const kept = new Set(window.map((e) => e.id));
        for (const event of events.slice(Math.max(recent, positions[0]! + 1))) {
          const cutOff = getFunctionResponses(event).some((r) => !called.has(r.id!));
          expect(kept.has(event.id) || cutOff).toBe(true);
        }
      }),
      { numRuns },
    );
  });
});
