/**
 * What the history promises beyond a happy conversation, on every backend: clear keeps the
 * session, batches are all or none, first use is race-free, ids never leak into one another, what
 * PostgreSQL cannot hold is refused with a typed error and everything else round-trips exactly,
 * events of other writers are readable, and summaries come back as context.
 */
import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentSessionsChatMessageHistory } from '../../../src/adapters/langchain/index.js';
import {
  type AppendEventHook,
  createEvent,
  isAgentSessionsError,
  type SessionService,
  stateOf,
  textValue,
} from '../../../src/index.js';
import type { SessionServiceOptions } from '../../../src/session/service-options.js';
import type { Session } from '../../../src/session/session.js';
import { type Backend, backends } from './backends.js';

const APP = 'langchain-edge';
const USER = 'grace';

const key = (sessionId: string) => ({ appName: APP, userId: USER, sessionId });
const historyOf = (service: SessionService, sessionId: string) =>
  new AgentSessionsChatMessageHistory({ service, appName: APP, userId: USER, sessionId });

/** The error a call rejects with (failing the test when it resolves). */
async function rejection(call: () => Promise<unknown>): Promise<unknown> {
  return call().then(
    () => expect.fail('expected the call to fail'),
    (error: unknown) => error,
  );
}

/** A summarizer that lists the contents it saw: its text tells which messages it covered. */
const listingSummarizer = {
  shouldSummarize: () => true,
  summarize: async (session: Session) =>
    session.events.map((e) => e.choices?.[0]?.message.content ?? '').join(' | '),
};

/** Refuses the tool result of a batch: the store must then keep nothing of that batch. */
const refuseToolResults: AppendEventHook = async (ctx, next) => {
  if (ctx.event.choices?.[0]?.message.role === 'tool') throw new Error('tool results refused');
  await next();
};

describe.each(backends)('LangChain history edge cases on %s', (_name, open) => {
  let backend: Backend;
  const start = async (options: SessionServiceOptions = {}) => {
    backend = await open(options);
    return backend.service;
  };
  beforeEach(() => {
    backend = undefined as unknown as Backend;
  });
  afterEach(async () => {
    await backend?.close();
  });

  it('clears the messages but keeps the session and its state', async () => {
    const service = await start();
    const history = historyOf(service, 'clear-1');
    await history.clear(); // nothing stored yet: nothing to do
    await history.addMessages([new HumanMessage('hi'), new AIMessage('hello')]);
    await service.updateSessionState(key('clear-1'), { mood: textValue('calm') });
    await history.clear();
    expect(await history.getMessages()).toEqual([]);
    const session = await service.getSession(key('clear-1'));
    expect(session).not.toBeNull();
    expect(new TextDecoder().decode(session!.state.mood!)).toBe('calm');
    await history.addMessage(new HumanMessage('again'));
    expect((await history.getMessages()).map((m) => m.content)).toEqual(['again']);
  });

  it('stores nothing of a batch the store refuses part of', async () => {
    const service = await start({ appendEventHooks: [refuseToolResults] });
    const history = historyOf(service, 'atomic-1');
    await history.addMessage(new HumanMessage('weather?'));
    const call = new AIMessage({ content: '', tool_calls: [{ id: 'c1', name: 'weather', args: {} }] });
    const result = new ToolMessage({ content: 'sunny', tool_call_id: 'c1' });
    await expect(history.addMessages([call, result, new AIMessage('sunny')])).rejects.toThrow('refused');
    expect((await history.getMessages()).map((m) => m.type)).toEqual(['human']);
  });

  it('refuses what PostgreSQL cannot hold with a typed error naming the field, storing nothing', async () => {
    const service = await start();
    const history = historyOf(service, 'bad-1');
    const nul = 'nul \u0000 inside';
    const cases: [unknown[], RegExp][] = [
      // Named by the caller's path, not by the event the adapter built from the message.
      [[new HumanMessage('fine'), new AIMessage(nul)], /^messages\[1\]\.content$/],
      [
        [new HumanMessage({ content: 'x', additional_kwargs: { note: 'lone \ud800' } })],
        /^messages\[0\]\.additional_kwargs\.note$/,
      ],
      [[new HumanMessage({ content: [{ type: 'text', text: nul }] })], /^messages\[0\]\.content\[0\]\.text$/],
      [
        [
          new HumanMessage('weather?'),
          new AIMessage({ content: '', tool_calls: [{ id: 'c1', name: 'weather', args: { a: nul } }] }),
        ],
        /^messages\[1\]\.tool_calls\[0\]\.args\.a$/,
      ],
      [[new ToolMessage({ content: 'lone \udc00', tool_call_id: 'c1' })], /^messages\[0\]\.content$/],
      [[new AIMessage({ content: 'x', name: nul })], /^messages\[0\]\.name$/],
      [
        [new HumanMessage({ content: 'x', response_metadata: { [nul]: 1 } })],
        /^messages\[0\]\.response_metadata key "nul \\u0000 inside"$/,
      ],
      [
        [new HumanMessage({ content: 'x', additional_kwargs: { fn: () => 1 } })],
        /^messages\[0\]\.additional_kwargs\.fn$/,
      ],
      [[{ content: 'not a message' }], /^messages\[0\]$/],
    ];
    for (const [batch, field] of cases) {
      const error = await rejection(() => history.addMessages(batch as never));
      expect(isAgentSessionsError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
      expect((error as { field?: string }).field).toMatch(field);
    }
    expect(await history.getMessages()).toEqual([]);
  });

  it('round-trips emoji, right-to-left text, a 1 MB message and __proto__ keys exactly', async () => {
    const service = await start();
    const history = historyOf(service, 'exact-1');
    const kwargs = JSON.parse('{"__proto__":{"polluted":true},"$lc":["undefined",0],"rtl":"مرحبا"}');
    const messages = [
      new HumanMessage({ content: '😀 👩‍👩‍👧 שלום עולם مرحبا', id: 'h-1', additional_kwargs: kwargs }),
      new AIMessage({ content: `${'é😀'.repeat(350_000)}`, id: 'a-1' }),
    ];
    await history.addMessages(messages);
    const loaded = await history.getMessages();
    expect(loaded).toStrictEqual(messages);
    const loadedKwargs = loaded[0]!.additional_kwargs;
    expect(Object.getPrototypeOf(loadedKwargs)).toBe(Object.prototype);
    expect(Object.hasOwn(loadedKwargs, '__proto__')).toBe(true);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('keeps sessions whose ids share a prefix or hold % _ and quotes apart', async () => {
    const service = await start();
    const ids = ['a', 'a%', 'a_', "a'b", 'a"b', 'ab', 'a\\'];
    await Promise.all(ids.map((id) => historyOf(service, id).addMessage(new HumanMessage(`for ${id}`))));
    for (const id of ids) {
      expect((await historyOf(service, id).getMessages()).map((m) => m.content)).toEqual([`for ${id}`]);
    }
  });

  it('creates the session once when two first writes race, keeping both', async () => {
    const service = await start();
    await Promise.all([
      historyOf(service, 'race-1').addMessages([new HumanMessage('one'), new AIMessage('1')]),
      historyOf(service, 'race-1').addMessages([new HumanMessage('two'), new AIMessage('2')]),
    ]);
    const sessions = await service.listSessions({ appName: APP, userId: USER });
    expect(sessions.map((s) => s.id)).toEqual(['race-1']);
    const contents = (await historyOf(service, 'race-1').getMessages()).map((m) => m.content);
    expect([contents.slice(0, 2), contents.slice(2)].sort()).toEqual([
      ['one', '1'],
      ['two', '2'],
    ]);
  });

  it('reads events another writer stored as plain messages of their role', async () => {
    const service = await start();
    const session = await service.createSession(key('go-1'));
    await service.appendEvents(session, [
      createEvent({ author: 'user', message: { role: 'user', content: 'from Go' } }),
      createEvent({
        author: 'agent',
        message: {
          role: 'assistant',
          content: '',
          tool_calls: [{ type: 'function', id: 'c9', function: { name: 'lookup', arguments: '{"q":1}' } }],
        },
      }),
      createEvent({ author: 'agent', message: { role: 'tool', content: 'found', tool_id: 'c9' } }),
    ]);
    const [human, ai, tool] = await historyOf(service, 'go-1').getMessages();
    expect(human).toBeInstanceOf(HumanMessage);
    expect(human!.content).toBe('from Go');
    expect((ai as AIMessage).tool_calls).toEqual([
      { type: 'tool_call', id: 'c9', name: 'lookup', args: { q: 1 } },
    ]);
    expect(tool).toBeInstanceOf(ToolMessage);
    expect((tool as ToolMessage).tool_call_id).toBe('c9');
  });

  it('reads each choice of a Go event as its own message; limits and summary boundaries count them', async () => {
    const service = await start({ summarizer: listingSummarizer });
    const session = await service.createSession(key('go-2'));
    const call = (id: string, city: string) => ({
      type: 'function',
      id,
      function: { name: 'weather', arguments: JSON.stringify({ city }) },
    });
    // A Go service stores the results of parallel calls as one event, one tool choice each.
    const results = createEvent({
      author: 'agent',
      choices: [
        { index: 0, message: { role: 'tool', content: 'sunny', tool_id: 'c1', tool_name: 'weather' } },
        { index: 1, message: { role: 'tool', content: 'snow', tool_id: 'c2', tool_name: 'weather' } },
      ],
    });
    await service.appendEvents(session, [
      createEvent({ author: 'user', message: { role: 'user', content: 'Paris or Oslo?' } }),
      createEvent({
        author: 'agent',
        message: { role: 'assistant', content: '', tool_calls: [call('c1', 'Paris'), call('c2', 'Oslo')] },
      }),
      results,
      createEvent({ author: 'agent', message: { role: 'assistant', content: 'Paris.' } }),
    ]);
    await backend.settle();
    const messages = await historyOf(service, 'go-2').getMessages();
    expect(messages.map((m) => m.type)).toEqual(['human', 'ai', 'tool', 'tool', 'ai']);
    expect(messages.slice(2, 4).map((m) => [(m as ToolMessage).tool_call_id, m.content, m.id])).toEqual([
      ['c1', 'sunny', results.id],
      ['c2', 'snow', `${results.id}#1`],
    ]);
    expect(new Set(messages.map((m) => m.id)).size).toBe(5);

    const windowOf = (limit: number) =>
      new AgentSessionsChatMessageHistory({ service, appName: APP, userId: USER, sessionId: 'go-2', limit });
    expect(await windowOf(4).getMessages()).toEqual(messages.slice(1));
    // The newest two start at the second result, whose call is cut off.
    expect(await windowOf(2).getMessages()).toEqual(messages.slice(4));

    // The summary covers the four events (five messages); the context is what came after.
    await service.createSessionSummary((await service.getSession(key('go-2')))!, '', true);
    const history = historyOf(service, 'go-2');
    await history.addMessages([new HumanMessage('And Rome?'), new AIMessage('Rain.')]);
    const context = await history.getContextMessages();
    expect(context[0]).toBeInstanceOf(SystemMessage);
    expect(context.slice(1).map((m) => m.content)).toEqual(['And Rome?', 'Rain.']);
  });

  it('gives the latest summary and the messages after its boundary as context', async () => {
    const service = await start({ summarizer: listingSummarizer });
    const history = historyOf(service, 'sum-1');
    expect(await history.getContextMessages()).toEqual([]);
    await history.addMessages([new HumanMessage('q1'), new AIMessage('a1')]);
    expect((await history.getContextMessages()).map((m) => m.content)).toEqual(['q1', 'a1']);
    await service.createSessionSummary((await service.getSession(key('sum-1')))!, '', true);
    await history.addMessages([new HumanMessage('q2'), new AIMessage('a2')]);
    const context = await history.getContextMessages();
    expect(context[0]).toBeInstanceOf(SystemMessage);
    expect(context[0]!.content).toBe('Summary of the conversation so far:\nq1 | a1');
    expect(context.slice(1).map((m) => m.content)).toEqual(['q2', 'a2']);
    const custom = await history.getContextMessages({
      summaryMessage: (s) => new HumanMessage(`recap: ${s}`),
    });
    expect(custom[0]).toBeInstanceOf(HumanMessage);
    expect(custom[0]!.content).toBe('recap: q1 | a1');
  });

  it('keeps state deltas out of it: a history never touches session state', async () => {
    const service = await start();
    await service.createSession(key('state-1'), stateOf({ topic: 'x' }));
    await historyOf(service, 'state-1').addMessage(new HumanMessage('hi'));
    const session = await service.getSession(key('state-1'));
    expect(Object.keys(session!.state)).toEqual(['topic']);
  });
});
