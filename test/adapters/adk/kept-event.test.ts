/**
 * The ADK event as kept in a stored event's extensions: which events leave out what the Go fields
 * hold (and which are kept whole), and rows written before that short form, which still load.
 */
import { type Event as AdkEvent, createEvent } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdkSessionService } from '../../../src/adapters/adk/index.js';
import { keptBesideGoFields, keptEvent } from '../../../src/adapters/adk/kept-event.js';
import type { SessionService } from '../../../src/index.js';
import { decodeEvent } from '../../../src/session/codec/index.js';
import { adapterBackends } from './backends.js';

type Part = NonNullable<NonNullable<AdkEvent['content']>['parts']>[number];

const withParts = (parts: Part[]): AdkEvent =>
  createEvent({ author: 'bot', invocationId: 'inv', content: { role: 'model', parts } });
/** What is stored of the kept event: its JSON. */
const kept = (event: AdkEvent): Record<string, unknown> => JSON.parse(JSON.stringify(keptEvent(event)));

describe('the kept ADK event', () => {
  it('leaves out the parts a Go message holds: a text, a thought, a thought then a text', () => {
    for (const parts of [
      [{ text: 'hi' }],
      [{ text: 'hmm', thought: true }],
      [{ text: 'hmm', thought: true }, { text: 'hi' }],
    ]) {
      expect(kept(withParts(parts))).toEqual({ content: { role: 'model' } });
    }
  });

  it('keeps what is not a default: state deltas, other actions, metadata, long-running ids', () => {
    const event = createEvent({
      author: 'bot',
      content: { role: 'model', parts: [{ text: 'hi' }] },
      actions: { stateDelta: { k: 1 }, transferToAgent: 'other' },
      customMetadata: { m: true },
      longRunningToolIds: ['call-1'],
      branch: 'a.b',
    });
    expect(kept(event)).toEqual({
      content: { role: 'model' },
      actions: { stateDelta: { k: 1 }, transferToAgent: 'other' },
      customMetadata: { m: true },
      longRunningToolIds: ['call-1'],
      branch: 'a.b',
    });
  });

  it('keeps parts the Go message cannot rebuild exactly', () => {
    for (const parts of [
      [{ text: 'a' }, { text: 'b' }],
      [{ text: 'b' }, { text: 'a', thought: true }],
      [{ text: '' }],
      [{ text: 'a', thoughtSignature: 'c2ln' }],
      [{ text: 'a', thought: false }],
      [{ functionCall: { id: 'c', name: 'f', args: {} } }],
      [{ inlineData: { mimeType: 'image/png', data: 'AAAA' } }],
      [],
    ]) {
      expect(kept(withParts(parts))).toEqual({ content: { role: 'model', parts } });
    }
  });

  it('keeps whole an event the short form cannot describe', () => {
    const base = withParts([{ text: 'hi' }]);
    const { longRunningToolIds: _ids, ...noIds } = base;
    const { artifactDelta: _a, ...fewerActions } = base.actions;
    class Custom {
      constructor(readonly id: string) {}
    }
    for (const event of [
      { ...base, author: undefined },
      { ...base, invocationId: undefined },
      { ...base, timestamp: 1.5 },
      noIds,
      { ...base, actions: undefined },
      { ...base, actions: fewerActions },
      { ...base, content: { role: 'model' } },
      Object.assign(new Custom('x'), base),
    ]) {
      expect(keptEvent(event as unknown as AdkEvent)).toBe(event);
    }
  });
});

describe('an event the Go fields hold whole', () => {
  const plain = (author: string, role: string, parts: Part[]) =>
    createEvent({ author, invocationId: 'inv', content: { role, parts } });

  it('keeps nothing for a plain message whose content role its author implies, or no content', () => {
    const noContent = createEvent({ author: 'bot', invocationId: 'inv' });
    for (const event of [
      plain('user', 'user', [{ text: 'hi' }]),
      plain('bot', 'model', [{ text: 'hmm', thought: true }, { text: 'hi' }]),
      plain('', 'model', [{ text: 'hi' }]),
      { ...plain('user', 'user', [{ text: 'at the epoch' }]), timestamp: 0 },
      noContent,
    ]) {
      expect(keptBesideGoFields(event)).toBeUndefined();
    }
  });

  it('keeps the short form when the Go fields alone would give back another event', () => {
    for (const [event, kept] of [
      [plain('user', 'model', [{ text: 'hi' }]), { content: { role: 'model' } }],
      [plain('bot', 'user', [{ text: 'hi' }]), { content: { role: 'user' } }],
      [plain('bot', 'model', [{ text: '' }]), { content: { role: 'model', parts: [{ text: '' }] } }],
      [
        { ...plain('bot', 'model', [{ text: 'hi' }]), branch: 'a' },
        { content: { role: 'model' }, branch: 'a' },
      ],
      [
        { ...plain('bot', 'model', [{ text: 'hi' }]), partial: false },
        { content: { role: 'model' }, partial: false },
      ],
    ] as const) {
      expect(JSON.parse(JSON.stringify(keptBesideGoFields(event as AdkEvent)))).toEqual(kept);
    }
  });
});

/** Two events as the adapter stored them before the short form: the whole ADK event kept. */
const OLD_ROWS = [
  String.raw`{"object":"chat.completion","created":1760000000,"model":"","choices":[{"index":0,"message":{"role":"user","content":"what is \"up\"?\u2028"},"delta":{"role":""}}],"done":true,"is_partial":false,"invocationId":"inv-1","author":"user","id":"old-0","timestamp":"2025-10-09T08:53:20Z","stateDelta":{"topic":"InVwIg=="},"extensions":{"agent-sessions/adk":{"id":"old-0","invocationId":"inv-1","author":"user","timestamp":1760000000000,"content":{"role":"user","parts":[{"text":"what is \"up\"?\u2028"}]},"actions":{"stateDelta":{"topic":"up"},"artifactDelta":{},"requestedAuthConfigs":{},"requestedToolConfirmations":{}},"longRunningToolIds":[]}},"version":1,"response":{"timestamp":"0001-01-01T00:00:00Z"}}`,
  `{"object":"chat.completion","created":1760000000,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":"all good 👋","reasoning_content":"thinking…"},"delta":{"role":""}}],"done":true,"is_partial":false,"invocationId":"inv-1","author":"bot","id":"old-1","timestamp":"2025-10-09T08:53:20.123Z","extensions":{"agent-sessions/adk":{"id":"old-1","invocationId":"inv-1","author":"bot","timestamp":1760000000123,"content":{"role":"model","parts":[{"text":"thinking…","thought":true},{"text":"all good 👋"}]},"actions":{"stateDelta":{},"artifactDelta":{},"requestedAuthConfigs":{},"requestedToolConfirmations":{}},"longRunningToolIds":[]}},"version":1,"response":{"timestamp":"0001-01-01T00:00:00Z"}}`,
];
const OLD_EVENTS = [
  createEvent({
    id: 'old-0',
    invocationId: 'inv-1',
    author: 'user',
    timestamp: 1760000000000,
    content: { role: 'user', parts: [{ text: 'what is "up"?\u2028' }] },
    actions: { stateDelta: { topic: 'up' } },
  }),
  createEvent({
    id: 'old-1',
    invocationId: 'inv-1',
    author: 'bot',
    timestamp: 1760000000123,
    content: { role: 'model', parts: [{ text: 'thinking…', thought: true }, { text: 'all good 👋' }] },
  }),
];

describe.each(adapterBackends)('stored rows, on %s', (_name, makeBackend) => {
  const backend = makeBackend();
  let store: SessionService;
  let sessions: AdkSessionService;
  beforeAll(async () => {
    store = await backend.open();
    sessions = new AdkSessionService(store);
  });
  afterAll(async () => {
    await store.close();
    await backend.teardown();
  });

  it('are stored without an extension, as a Go service stores them, and load back equal', async () => {
    const appName = `go-only-${Math.random().toString(36).slice(2)}`;
    const session = await sessions.createSession({ appName, userId: 'u' });
    const key = { appName, userId: 'u', sessionId: session.id };
    const events = [
      createEvent({
        author: 'user',
        invocationId: 'inv',
        content: { role: 'user', parts: [{ text: 'hi' }] },
      }),
      withParts([{ text: 'let me think', thought: true }, { text: 'hello 👋' }]),
      createEvent({ author: 'bot', invocationId: 'inv' }),
      { ...createEvent({ author: 'bot', invocationId: 'inv' }), timestamp: 0 },
      createEvent({
        author: 'bot',
        invocationId: 'inv',
        content: { role: 'user', parts: [{ text: 'odd' }] },
      }),
    ];
    for (const event of events) await sessions.appendEvent({ session, event });
    await store.flush();
    const stored = (await store.getSession(key))!.events;
    expect(stored.map((e) => e.extensions)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      { 'agent-sessions/adk': { content: { role: 'user' } } },
    ]);
    expect(stored[1]!.choices![0]!.message).toEqual({
      role: 'assistant',
      content: 'hello 👋',
      reasoning_content: 'let me think',
    });
    const loaded = (await sessions.getSession(key))!.events;
    expect(loaded).toEqual(events);
    // Loaded events are ADK's own: createEvent's marker, and every default it gives.
    for (const event of loaded) {
      expect((event as unknown as Record<symbol, unknown>)[Symbol.for('google.adk.event')]).toBe(true);
      expect(event.actions).toEqual(createEvent().actions);
      expect(event.longRunningToolIds).toEqual([]);
    }
  });

  it('written before the short form load as the events they kept, before and after events stored in the short form', async () => {
    const appName = `old-${Math.random().toString(36).slice(2)}`;
    const session = await sessions.createSession({ appName, userId: 'u' });
    const key = { appName, userId: 'u', sessionId: session.id };
    const core = (await store.getSession(key))!;
    for (const row of OLD_ROWS) await store.appendEvent(core, decodeEvent(row));
    const next = withParts([{ text: 'and now?' }]);
    await store.flush();
    const loaded = await sessions.getSession(key);
    expect(loaded!.events).toEqual(OLD_EVENTS);
    expect(loaded!.state).toEqual({ topic: 'up' });
    await sessions.appendEvent({ session: loaded!, event: next });
    expect((await sessions.getSession(key))!.events).toEqual([...OLD_EVENTS, next]);
  });
});
