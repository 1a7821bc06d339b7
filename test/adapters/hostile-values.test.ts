/**
 * Values no JSON holds, handed to the adapters and to the core's value helpers the way a framework
 * or an attacker could: a cycle, a getter or toJSON that throws, a revoked Proxy, a bigint where
 * JSON.stringify refuses it, nesting deeper than the stack. Each is refused with INVALID_ARGUMENT
 * naming where it was met, alike on every backend, and nothing of the refused call is stored;
 * they escaped as bare TypeErrors, RangeErrors or the caller's own error. A state update whose
 * last key is refused no longer leaves its app and user keys written.
 */
import { type Event as AdkEvent, createEvent as createAdkEvent } from '@google/adk';
import { HumanMessage } from '@langchain/core/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdkSessionService } from '../../src/adapters/adk/index.js';
import { UIMessageStore } from '../../src/adapters/ai-sdk/index.js';
import { AgentSessionsChatMessageHistory } from '../../src/adapters/langchain/index.js';
import { AgentSessionsSession } from '../../src/adapters/openai-agents/index.js';
import { checkJsonValue, createEvent, isAgentSessionsError, jsonValue, stateOf } from '../../src/index.js';
import { type Backend, backends } from '../support/adapter-backends.js';

const cyclic = () => {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
};
const throwingGetter = () => ({
  get boom(): never {
    throw new Error('boom');
  },
});
const throwingToJson = () => ({
  toJSON(): never {
    throw new Error('toJSON failed');
  },
});
const revoked = () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};
/** Deeper than any stack: JSON.stringify and the walkers recurse. */
const deep = () => {
  let value: unknown = 1;
  for (let i = 0; i < 200_000; i++) value = { v: value };
  return value;
};

const HOSTILE: [string, () => unknown][] = [
  ['a cycle', cyclic],
  ['a throwing getter', throwingGetter],
  ['a throwing toJSON', throwingToJson],
  ['a revoked Proxy', revoked],
  ['nesting deeper than the stack', deep],
];

/** Runs `call` and says how it was refused: `INVALID_ARGUMENT <field>`, or what escaped. */
async function refusal(call: () => unknown): Promise<string> {
  try {
    await call();
    return 'accepted';
  } catch (error) {
    if (isAgentSessionsError(error)) return `${error.code} ${error.field}`;
    return `escaped: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }
}

describe('the core value helpers refuse values JSON cannot hold, naming the field', () => {
  it.each(HOSTILE)('%s', async (_name, make) => {
    expect(await refusal(() => jsonValue(make(), 'state.x'))).toBe('INVALID_ARGUMENT state.x');
    expect(await refusal(() => stateOf({ k: make() }))).toBe('INVALID_ARGUMENT values["k"]');
    // checkJsonValue writes cycles and depth with its own rules; what it cannot read is named too.
    expect(await refusal(() => checkJsonValue({ v: make() }, 'p'))).toMatch(/^INVALID_ARGUMENT p/);
  });

  it('refuses a bigint a toJSON returns, which JSON.stringify cannot write', async () => {
    expect(await refusal(() => jsonValue({ toJSON: () => 1n }, 'v'))).toBe('INVALID_ARGUMENT v');
  });
});

describe.each(backends)('the adapters on %s', (_name, open) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await open();
  });
  afterAll(async () => {
    await backend.close();
  });
  const newKey = () => ({ appName: `hostile-${crypto.randomUUID()}`, userId: 'u', sessionId: 's' });

  it('refuses a revoked Proxy as any argument or option of the core service, naming it', async () => {
    const svc = backend.service;
    const key = newKey();
    const session = await svc.createSession(key);
    const event = () => createEvent({ author: 'user', message: { role: 'user', content: 'hi' } });
    const calls: [() => Promise<unknown>, string][] = [
      [() => svc.getSession(key, { eventTime: revoked() as never }), 'eventTime'],
      [() => svc.appendEvent(session, event(), { signal: revoked() as never }), 'options.signal'],
      [() => svc.updateSessionState(key, revoked() as never), 'state'],
      [() => svc.createSession({ ...key, sessionId: 'other' }, revoked() as never), 'state'],
      [() => svc.updateAppState(key.appName, revoked() as never), 'state'],
      [() => svc.updateUserState(key, revoked() as never), 'state'],
      [() => svc.appendEvents(session, revoked() as never), 'events'],
      [() => svc.getEventWindow(key, 'x', { before: 1, after: 1, roles: revoked() as never }), 'roles'],
      [
        () => svc.replaceEvents(key, { events: [], expectedEventIds: revoked() as never }),
        'request.expectedEventIds',
      ],
    ];
    // Objects whose entries are not properties would read as an empty map (memory took a Date).
    for (const notAMap of [new Date(), new Map([['k', new Uint8Array()]]), new Set(), new Uint8Array(1)]) {
      calls.push([() => svc.updateSessionState(key, notAMap as never), 'state']);
      calls.push([() => svc.createSession({ ...key, sessionId: 'other' }, notAMap as never), 'state']);
      calls.push([() => svc.updateAppState(key.appName, notAMap as never), 'state']);
    }
    for (const [call, field] of calls) expect(await refusal(call), field).toBe(`INVALID_ARGUMENT ${field}`);
    await backend.settle();
    expect((await svc.getSession(key))?.events).toEqual([]);
  });

  it.each(HOSTILE)(
    'ADK appendEvent refuses %s in a function call or response, storing nothing',
    async (_n, make) => {
      const adk = new AdkSessionService(backend.service);
      const key = newKey();
      const session = await adk.createSession({ appName: key.appName, userId: key.userId });
      const call: AdkEvent = createAdkEvent({
        author: 'bot',
        content: {
          role: 'model',
          parts: [{ text: 'ok' }, { functionCall: { id: 'c', name: 'f', args: { x: make() } } }],
        },
      });
      expect(await refusal(() => adk.appendEvent({ session, event: call }))).toMatch(
        /^INVALID_ARGUMENT event(\.content\.parts\[1\]\.functionCall\.args)?/,
      );
      const response: AdkEvent = createAdkEvent({
        author: 'bot',
        content: {
          role: 'user',
          parts: [{ functionResponse: { id: 'c', name: 'f', response: { x: make() } } }],
        },
      });
      expect(await refusal(() => adk.appendEvent({ session, event: response }))).toMatch(
        /^INVALID_ARGUMENT event(\.content\.parts\[0\]\.functionResponse\.response)?/,
      );
      await backend.settle();
      const stored = await adk.getSession({
        appName: key.appName,
        userId: key.userId,
        sessionId: session.id,
      });
      expect(stored?.events).toEqual([]);
    },
  );

  it('ADK appendEvent refuses a bigint in function call arguments, naming them', async () => {
    const adk = new AdkSessionService(backend.service);
    const key = newKey();
    const session = await adk.createSession({ appName: key.appName, userId: key.userId });
    const call = createAdkEvent({
      author: 'bot',
      content: { role: 'model', parts: [{ functionCall: { id: 'c', name: 'f', args: { n: 1n } } }] },
    });
    expect(await refusal(() => adk.appendEvent({ session, event: call }))).toBe(
      'INVALID_ARGUMENT event.content.parts[0].functionCall.args',
    );
  });

  it.each(HOSTILE)('AI SDK save refuses %s in a part, or a message that cannot be read', async (_n, make) => {
    const chats = new UIMessageStore({ service: backend.service, appName: newKey().appName });
    const chat = { userId: 'u', chatId: 'c' };
    const good = { id: 'm1', role: 'user' as const, parts: [{ type: 'text' as const, text: 'hi' }] };
    await chats.save(chat, [good]);
    const bad = {
      id: 'm2',
      role: 'assistant',
      parts: [{ type: 'text', text: 'x', providerMetadata: make() }],
    };
    expect(await refusal(() => chats.save(chat, [good, bad as never]))).toMatch(
      /^INVALID_ARGUMENT messages\[1\]/,
    );
    const unreadable = {
      id: 'm3',
      role: 'assistant',
      get parts(): never {
        throw new Error('parts');
      },
    };
    expect(await refusal(() => chats.save(chat, [good, unreadable as never]))).toBe(
      'INVALID_ARGUMENT messages[1]',
    );
    await backend.settle();
    expect((await chats.load(chat)).map((m) => m.id)).toEqual(['m1']);
  });

  it.each(HOSTILE)('OpenAI Agents addItems and updateState refuse %s, storing nothing', async (_n, make) => {
    const session = new AgentSessionsSession({ service: backend.service, ...newKey() });
    await session.addItems([{ role: 'user', content: 'first' }]);
    expect(await refusal(() => session.addItems([{ role: 'user', content: 'ok' }, make() as never]))).toMatch(
      /^INVALID_ARGUMENT items\[1\]/,
    );
    expect(
      await refusal(() =>
        session.addItems([{ role: 'user', content: 'x', providerData: { v: make() } } as never]),
      ),
    ).toMatch(/^INVALID_ARGUMENT items\[0\]/);
    expect(await refusal(() => session.updateState({ 'app:a': 1, k: make() }))).toBe(
      'INVALID_ARGUMENT state["k"]',
    );
    await backend.settle();
    expect(await session.getItems()).toEqual([{ role: 'user', content: 'first' }]);
    expect(await session.getState()).toEqual({});
  });

  it.each([...HOSTILE, ['a symbol', () => Symbol('s')] as [string, () => unknown]])(
    'OpenAI Agents applyHistoryMutations refuses %s in a replacement, changing nothing',
    async (_n, make) => {
      const session = new AgentSessionsSession({ service: backend.service, ...newKey() });
      const call = { type: 'function_call', callId: 'c1', name: 'f', arguments: '{}' } as const;
      await session.addItems([{ role: 'user', content: 'q' }, call]);
      const replacement = { ...call, name: 'g', providerData: { v: make() } };
      const mutations = [{ type: 'replace_function_call', callId: 'c1', replacement }];
      expect(await refusal(() => session.applyHistoryMutations({ mutations } as never))).toMatch(
        /^INVALID_ARGUMENT args\.mutations\[0\]\.replacement/,
      );
      await backend.settle();
      expect((await session.getItems()).map((i) => (i as { name?: string }).name)).toEqual([undefined, 'f']);
    },
  );

  it('refuses a missing or unreadable request, options object or message in every adapter, naming it', async () => {
    const throwing = () =>
      new Proxy(
        {},
        {
          get() {
            throw new Error('trap');
          },
          ownKeys() {
            throw new Error('trap');
          },
        },
      );
    const adk = new AdkSessionService(backend.service);
    const chats = new UIMessageStore({ service: backend.service, appName: newKey().appName });
    const history = new AgentSessionsChatMessageHistory({ service: backend.service, ...newKey() });
    const calls: [() => unknown, RegExp][] = [
      [() => new AdkSessionService(backend.service, null as never), /^INVALID_ARGUMENT options$/],
      [() => adk.createSession(null as never), /^INVALID_ARGUMENT request$/],
      [() => adk.createSession(throwing() as never), /^INVALID_ARGUMENT request$/],
      [() => adk.getOrCreateSession(undefined as never), /^INVALID_ARGUMENT request$/],
      [() => adk.appendEvent(null as never), /^INVALID_ARGUMENT request$/],
      [() => adk.getSession(throwing() as never), /^INVALID_ARGUMENT request$/],
      [
        () => adk.createSession({ appName: 'a', userId: 'u', state: throwing() as never }),
        /^INVALID_ARGUMENT state/,
      ],
      [() => chats.open({ userId: 'u', chatId: 'c' }, null as never), /^INVALID_ARGUMENT options$/],
      [() => chats.load(throwing() as never), /^INVALID_ARGUMENT chat$/],
      [
        () => chats.open({ userId: 'u', chatId: 'c' }, throwing() as never),
        /^INVALID_ARGUMENT options\.limit$/,
      ],
      [() => history.addMessage(undefined as never), /^INVALID_ARGUMENT messages\[0\]$/],
      [() => history.addMessages(throwing() as never), /^INVALID_ARGUMENT messages$/],
      [() => history.getContextMessages(null as never), /^INVALID_ARGUMENT options$/],
      [
        () => history.getContextMessages({ filterKey: Object.create(null) }),
        /^INVALID_ARGUMENT options\.filterKey$/,
      ],
    ];
    for (const [call, expected] of calls) expect(await refusal(call)).toMatch(expected);
  });

  it('OpenAI Agents updateState refused for one key writes none of the others', async () => {
    const key = newKey();
    const session = new AgentSessionsSession({ service: backend.service, ...key });
    for (const bad of ['bad\u0000key', 'lone\ud800', 'app:', 'user:x\u0000']) {
      expect(
        await refusal(() => session.updateState({ 'app:shared': 1, 'user:mine': 2, k: 3, [bad]: 4 })),
      ).toMatch(/^INVALID_ARGUMENT state/);
    }
    await backend.settle();
    expect(Object.keys(await backend.service.listAppStates(key.appName))).toEqual([]);
    expect(Object.keys(await backend.service.listUserStates(key))).toEqual([]);
    expect(await backend.service.getSession(key)).toBeNull();
  });

  it.each(HOSTILE)(
    'LangChain addMessages refuses %s in additional_kwargs, storing nothing',
    async (_n, make) => {
      const history = new AgentSessionsChatMessageHistory({ service: backend.service, ...newKey() });
      await history.addMessage(new HumanMessage('first'));
      const message = new HumanMessage({ content: 'x', additional_kwargs: { v: make() } as never });
      expect(await refusal(() => history.addMessages([new HumanMessage('ok'), message]))).toMatch(
        /^INVALID_ARGUMENT messages\[1\]/,
      );
      await backend.settle();
      expect((await history.getMessages()).map((m) => m.content)).toEqual(['first']);
    },
  );
});
