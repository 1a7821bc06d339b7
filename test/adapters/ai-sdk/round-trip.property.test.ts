/**
 * Property-based round trips of generated chats through the adapter, on every backend: whatever
 * list of UI messages is saved loads back deep-equal; a chat saved through any sequence of growing
 * and edited lists loads as the last list with nothing re-written that did not change; racing
 * saves from a common read lose nothing.
 */
import type { UIMessage } from 'ai';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UIMessageStore } from '../../../src/adapters/ai-sdk/index.js';
import { messageBody, messageList } from './arbitraries.js';
import { type Backend, backends } from './backends.js';

/** Fewer runs where every save is a database round trip. */
const runsFor = (name: string) => (name === 'memory' ? 60 : 12);

let chats = 0;
const nextChat = () => ({ userId: 'prop-user', chatId: `chat-${++chats}` });

/** A later list of one chat: some messages edited in place (same id, new body), some appended. */
const evolution = (base: UIMessage[]) =>
  fc
    .tuple(
      fc.array(fc.tuple(fc.nat(), messageBody), { maxLength: 3 }),
      fc.array(fc.tuple(fc.uuid(), messageBody), { maxLength: 3 }),
    )
    .map(([edits, additions]) => {
      const next = base.slice();
      const changed = new Set<string>();
      for (const [at, body] of edits) {
        if (next.length === 0) break;
        const i = at % next.length;
        next[i] = { id: next[i]!.id, ...body } as UIMessage;
        changed.add(next[i]!.id);
      }
      for (const [id, body] of additions) {
        if (next.some((m) => m.id === id)) continue;
        next.push({ id, ...body } as UIMessage);
        changed.add(id);
      }
      return next;
    });

describe.each(backends)('generated AI SDK chats on %s', (name, open) => {
  let backend: Backend;
  let store: UIMessageStore;
  beforeAll(async () => {
    backend = await open();
    store = new UIMessageStore({ service: backend.service, appName: 'prop-app' });
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('loads any saved list of messages deep-equal', async () => {
    await fc.assert(
      fc.asyncProperty(messageList, async (messages) => {
        const chat = nextChat();
        await store.save(chat, messages);
        await backend.settle();
        expect(await store.load(chat)).toEqual(messages);
      }),
      { numRuns: runsFor(name) },
    );
  }, 120_000);

  it('loads the last of a sequence of saved lists, writing only what changed', async () => {
    const sequence = messageList.chain((first) =>
      evolution(first).chain((second) => evolution(second).map((third) => [first, second, third])),
    );
    await fc.assert(
      fc.asyncProperty(sequence, async (lists) => {
        const key = nextChat();
        let previous: UIMessage[] = [];
        for (const list of lists) {
          const chat = await store.open(key);
          expect(chat.messages).toEqual(previous);
          const { written } = await chat.saveChanges(list);
          const before = new Map(previous.map((m) => [m.id, m]));
          const changed = list.filter((m) => JSON.stringify(m) !== JSON.stringify(before.get(m.id)));
          expect(written).toEqual(changed.map((m) => m.id));
          await backend.settle();
          previous = list;
        }
        expect(await store.load(key)).toEqual(previous);
      }),
      { numRuns: runsFor(name) },
    );
  }, 120_000);

  it('keeps every message of two saves that read the same chat', async () => {
    const race = messageList.chain((base) =>
      fc.tuple(
        fc.constant(base),
        fc.array(messageBody, { maxLength: 3 }),
        fc.array(messageBody, { maxLength: 3 }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(race, async ([base, left, right]) => {
        const key = nextChat();
        await store.save(key, base);
        await backend.settle();
        const [a, b] = await Promise.all([store.open(key), store.open(key)]);
        const leftList = [...base, ...left.map((m, i) => ({ id: `left-${i}`, ...m }) as UIMessage)];
        const rightList = [...base, ...right.map((m, i) => ({ id: `right-${i}`, ...m }) as UIMessage)];
        await Promise.all([a.save(leftList), b.save(rightList)]);
        await backend.settle();
        const loaded = await store.load(key);
        expect(loaded.slice(0, base.length)).toEqual(base);
        const rest = loaded.slice(base.length);
        expect(rest.filter((m) => m.id.startsWith('left-'))).toEqual(leftList.slice(base.length));
        expect(rest.filter((m) => m.id.startsWith('right-'))).toEqual(rightList.slice(base.length));
        expect(rest).toHaveLength(left.length + right.length);
      }),
      { numRuns: runsFor(name) },
    );
  }, 120_000);
});
