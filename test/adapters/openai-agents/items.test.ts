/**
 * Items come back exactly as given, on every backend: generated item lists of every kind
 * (fast-check), binary image data, null versus absent fields, provider data, `$`-keys and
 * `__proto__` keys, emoji, right-to-left text and a 1 MB message; what PostgreSQL cannot hold is
 * refused with a typed error; `getItems(n)` is the newest n in order, moved forward past a cut
 * tool result or split response; `popItem` is atomic.
 */
import type { AgentInputItem } from '@openai/agents-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentSessionsSession } from '../../../src/adapters/openai-agents/index.js';
import { isAgentSessionsError } from '../../../src/index.js';
import { arbitraryConversation, arbitraryItem } from './arbitraries.js';
import { type Backend, backends } from './backends.js';

describe.each(backends)('AgentSessionsSession items on %s', (_name, open) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await open();
  });
  afterAll(async () => {
    await backend.close();
  });

  const fresh = (sessionId: string = crypto.randomUUID(), userId = 'u1') =>
    new AgentSessionsSession({ service: backend.service, appName: 'items-app', userId, sessionId });

  it('gives back generated item lists deep-equal, types and undefined properties included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbitraryItem, { minLength: 1, maxLength: 8 }), async (items) => {
        const session = fresh();
        await session.addItems(items);
        const loaded = await session.getItems();
        expect(loaded).toStrictEqual(items);
      }),
      { numRuns: 25 },
    );
  });

  it('returns the newest n items in order, starting where a model accepts a history', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryConversation, fc.integer({ min: 1, max: 12 }), async (items, n) => {
        const session = fresh();
        await session.addItems(items);
        const window = await session.getItems(n);
        // A suffix of what was stored, at most n long.
        expect(window.length).toBeLessThanOrEqual(n);
        expect(window).toStrictEqual(items.slice(items.length - window.length));
        // No result whose call is not in the window.
        const calls = new Set(
          window.filter((i) => i.type === 'function_call').map((i) => (i as { callId: string }).callId),
        );
        for (const item of window) {
          if (item.type === 'function_call_result')
            expect(calls.has((item as { callId: string }).callId)).toBe(true);
        }
        // Nothing is dropped that did not have to be: the whole suffix of length n when it is valid.
        const suffix = items.slice(Math.max(0, items.length - n));
        if (isValidStart(items, items.length - suffix.length)) expect(window).toStrictEqual(suffix);
      }),
      { numRuns: 25 },
    );
  });

  it('keeps binary image data, null versus absent, provider data and awkward keys', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const proto = JSON.parse('{"__proto__": {"polluted": true}, "constructor": "c"}');
    const items: AgentInputItem[] = [
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'look' },
          { type: 'input_image', image: 'data:image/png;base64,AAAA', detail: 'high' },
        ],
        providerData: { trace: null, nested: { $ref: '#/x', $$y: 1, keep: undefined }, proto },
      },
      {
        type: 'function_call_result',
        callId: 'c1',
        name: 'draw',
        status: 'completed',
        output: { type: 'image', image: { data: bytes, mediaType: 'image/png' } },
      },
      { type: 'reasoning', content: [], providerData: { encrypted: 'gAAA==' } },
      {
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'مرحبا 👋🏽 שלום' }],
        id: undefined,
      },
    ];
    const session = fresh();
    await session.addItems(items);
    const loaded = await session.getItems();
    expect(loaded).toStrictEqual(items);
    const image = (loaded[1] as unknown as { output: { image: { data: unknown } } }).output.image.data;
    expect(image).toBeInstanceOf(Uint8Array);
    expect(
      Object.getPrototypeOf((loaded[0] as unknown as { providerData: { proto: object } }).providerData.proto),
    ).toBe(Object.prototype);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('round-trips a 1 MB message', async () => {
    const text = 'x😀'.repeat(350_000);
    const session = fresh();
    await session.addItems([{ role: 'user', content: text }]);
    expect(await session.getItems()).toStrictEqual([{ role: 'user', content: text }]);
  });

  it.each([
    ['a NUL character', 'a\u0000b'],
    ['a lone surrogate', 'a\ud800b'],
  ])(
    'refuses %s with a typed error naming the item’s field, and stores nothing of the batch',
    async (_what, text) => {
      const session = fresh();
      const bad: [AgentInputItem, string][] = [
        [{ role: 'user', content: text }, 'items[1].content'],
        [{ role: 'user', content: [{ type: 'input_text', text }] }, 'items[1].content[0].text'],
        [
          { type: 'function_call', callId: 'c1', name: 'f', arguments: `{"a":"${text}"}` },
          'items[1].arguments',
        ],
        [
          { role: 'user', content: 'x', providerData: { [text]: 1 } },
          `items[1].providerData key ${JSON.stringify(text)}`,
        ],
      ];
      for (const [item, field] of bad) {
        const error = await session
          .addItems([{ role: 'user', content: 'fine' }, item])
          .catch((e: unknown) => e);
        expect(isAgentSessionsError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
        expect((error as { field?: string }).field).toBe(field);
        expect((error as Error).message).toMatch(
          /^items\[1\].* must not contain (NUL characters|unpaired surrogates)/,
        );
      }
      // A transaction names its own field.
      const error = await session
        .applyHistoryTransaction({
          operationId: 'op',
          transaction: { type: 'append_items', items: [{ role: 'user', content: text }] },
        } as never)
        .catch((e: unknown) => e);
      expect((error as { field?: string }).field).toBe('args.transaction.items[0].content');
      expect(await session.getItems()).toEqual([]);
    },
  );

  it('keeps sessions and users whose ids share a prefix or hold %, _ and quotes apart', async () => {
    const ids = ['a_b', 'a%b', 'a_b2', "a'b", 'a"b'];
    const sessions = ids.map((id) => fresh(id, `user-${id}`));
    await Promise.all(sessions.map((s, i) => s.addItems([{ role: 'user', content: ids[i]! }])));
    for (const [i, s] of sessions.entries()) {
      expect(await s.getItems()).toEqual([{ role: 'user', content: ids[i] }]);
    }
  });

  it('pops each item once when pops race, and undefined on an empty session', async () => {
    const session = fresh();
    expect(await session.popItem()).toBeUndefined();
    const items: AgentInputItem[] = Array.from({ length: 6 }, (_, i) => ({ role: 'user', content: `m${i}` }));
    await session.addItems(items);
    const popped = await Promise.all(Array.from({ length: 8 }, () => session.popItem()));
    const got = popped.filter((p) => p !== undefined).map((p) => (p as { content: string }).content);
    expect(got.sort()).toEqual(items.map((i) => (i as { content: string }).content).sort());
    expect(await session.getItems()).toEqual([]);
  });

  it('keeps state in the three scopes: session keys, app: and user: shared, temp: not stored', async () => {
    const a = fresh();
    await a.updateState({ topic: 'weather', 'app:units': 'metric', 'user:name': 'Ana', 'temp:scratch': 1 });
    const b = fresh();
    expect(await a.getState()).toMatchObject({ topic: 'weather', 'app:units': 'metric', 'user:name': 'Ana' });
    const other = await b.getState();
    expect(other).toMatchObject({ 'app:units': 'metric', 'user:name': 'Ana' });
    expect(other).not.toHaveProperty('topic');
    expect(await a.getState()).not.toHaveProperty('temp:scratch');
  });
});

/** Whether a history may start at `start` (mirrors the window rule, for the property's oracle). */
function isValidStart(items: readonly AgentInputItem[], start: number): boolean {
  const isOutput = (i: AgentInputItem | undefined) =>
    i !== undefined &&
    (i.type === 'function_call' || i.type === 'reasoning' || ('role' in i && i.role === 'assistant'));
  if (start > 0 && isOutput(items[start - 1]) && isOutput(items[start])) return false;
  const calls = new Set<string>();
  for (const item of items.slice(start)) {
    if (item.type === 'function_call') calls.add(item.callId);
    if (item.type === 'function_call_result' && !calls.has(item.callId)) return false;
  }
  return true;
}
