/**
 * The stored form of a message, on every backend: rows written in the first snapshot format (every
 * field kept) still load as the messages they were made of, and rows written now keep neither the
 * fields every message of the class starts with nor a second copy of the text.
 */
import { AIMessage, AIMessageChunk, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goEventFields } from '../../../src/adapters/langchain/go-view.js';
import { AgentSessionsChatMessageHistory, EXTENSION_KEY } from '../../../src/adapters/langchain/index.js';
import { createEvent } from '../../../src/index.js';
import { type Backend, backends } from './backends.js';

/** Four messages, and the extension the first format stored for each (written by that version). */
const OLD_ROWS = [
  {
    message: new HumanMessage({
      content: [
        { type: 'text', text: 'what is on this page?' },
        { type: 'image', data: new Uint8Array([1, 2, 3]), mimeType: 'image/png' },
      ],
    }),
    stored: `{"v":1,"class":"HumanMessage","fields":{"lc_serializable":true,"lc_namespace":["langchain_core","messages"],"id":{"$lc":["undefined",0]},"name":{"$lc":["undefined",0]},"content":[{"type":"text","text":"what is on this page?"},{"type":"image","data":{"$lc":["bytes","AQID"]},"mimeType":"image/png"}],"additional_kwargs":{},"response_metadata":{},"type":"human"},"kwargs":{},"shared":["content","additional_kwargs","response_metadata"]}`,
  },
  {
    message: new AIMessage({
      content: '',
      id: 'run-1',
      tool_calls: [{ id: 'call-1', name: 'search', args: { q: 'weather', n: -0 } }],
      usage_metadata: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
      response_metadata: { model_name: 'm-1' },
    }),
    stored: `{"v":1,"class":"AIMessage","fields":{"lc_serializable":true,"lc_namespace":["langchain_core","messages"],"id":"run-1","name":{"$lc":["undefined",0]},"content":"","additional_kwargs":{},"response_metadata":{"model_name":"m-1"},"type":"ai","tool_calls":[{"id":"call-1","name":"search","args":{"q":"weather","n":{"$lc":["number","-0"]}}}],"invalid_tool_calls":[],"usage_metadata":{"input_tokens":10,"output_tokens":5,"total_tokens":15}},"kwargs":{},"shared":["content","id","tool_calls","usage_metadata","response_metadata","invalid_tool_calls","additional_kwargs"]}`,
  },
  {
    message: new ToolMessage({
      content: 'sunny',
      tool_call_id: 'call-1',
      name: 'search',
      artifact: { at: new Date('2025-01-02T03:04:05.000Z') },
    }),
    stored: `{"v":1,"class":"ToolMessage","fields":{"lc_serializable":true,"lc_namespace":["langchain_core","messages"],"id":{"$lc":["undefined",0]},"name":"search","content":"sunny","additional_kwargs":{},"response_metadata":{},"lc_direct_tool_output":true,"type":"tool","status":{"$lc":["undefined",0]},"tool_call_id":"call-1","metadata":{"$lc":["undefined",0]},"artifact":{"at":{"$lc":["date","2025-01-02T03:04:05.000Z"]}}},"kwargs":{},"shared":["content","tool_call_id","name","artifact","additional_kwargs","response_metadata"]}`,
  },
  {
    message: new AIMessageChunk({
      content: 'It is sunny.',
      id: 'run-2',
      additional_kwargs: { note: undefined },
    }),
    stored: `{"v":1,"class":"AIMessageChunk","fields":{"lc_serializable":true,"lc_namespace":["langchain_core","messages"],"id":"run-2","name":{"$lc":["undefined",0]},"content":"It is sunny.","additional_kwargs":{"note":{"$lc":["undefined",0]}},"response_metadata":{},"type":"ai","tool_calls":[],"invalid_tool_calls":[],"tool_call_chunks":[],"usage_metadata":{"$lc":["undefined",0]}},"kwargs":{},"shared":["content","id","additional_kwargs","tool_calls","invalid_tool_calls","tool_call_chunks","usage_metadata","response_metadata"]}`,
  },
];

describe.each(backends)('LangChain stored format on %s', (_name, open) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await open();
  });
  afterAll(async () => {
    await backend.close();
  });

  it('loads rows written in the first format as the messages they were made of', async () => {
    const key = { appName: 'langchain-format', userId: 'u', sessionId: 'old-rows' };
    const session = await backend.service.createSession(key);
    for (const row of OLD_ROWS) {
      // The Go-visible fields are the same in both formats.
      const go = goEventFields(row.message, { agent: 'assistant' });
      await backend.service.appendEvent(
        session,
        createEvent({ ...go, extensions: { [EXTENSION_KEY]: JSON.parse(row.stored) } }),
      );
    }
    await backend.settle();
    const loaded = await new AgentSessionsChatMessageHistory({
      service: backend.service,
      ...key,
    }).getMessages();
    expect(loaded).toStrictEqual(OLD_ROWS.map((row) => row.message));
    loaded.forEach((message, i) => {
      expect(Object.getPrototypeOf(message)).toBe(Object.getPrototypeOf(OLD_ROWS[i]!.message));
    });
  });

  it('loads a class-only snapshot in both of its forms, and refuses a class LangChain lacks', async () => {
    const key = { appName: 'langchain-format', userId: 'u', sessionId: 'class-only' };
    const session = await backend.service.createSession(key);
    const said = [new HumanMessage('as an object'), new AIMessage('as a string')];
    const forms = [{ v: 2, class: 'HumanMessage' }, 'AIMessage'];
    for (const [i, message] of said.entries()) {
      const go = goEventFields(message, { agent: 'assistant' });
      await backend.service.appendEvent(
        session,
        createEvent({ ...go, extensions: { [EXTENSION_KEY]: forms[i] } }),
      );
    }
    await backend.settle();
    const history = new AgentSessionsChatMessageHistory({ service: backend.service, ...key });
    expect(await history.getMessages()).toStrictEqual(said);

    const bad = { ...key, sessionId: 'class-only-unknown' };
    await backend.service.appendEvent(
      await backend.service.createSession(bad),
      createEvent({
        ...goEventFields(new HumanMessage('hi'), { agent: 'assistant' }),
        extensions: { [EXTENSION_KEY]: 'NoSuchMessage' },
      }),
    );
    await backend.settle();
    await expect(
      new AgentSessionsChatMessageHistory({ service: backend.service, ...bad }).getMessages(),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('NoSuchMessage') });
  });

  it('stores a plain message as its class and its text, the text once', async () => {
    const key = { appName: 'langchain-format', userId: 'u', sessionId: 'new-rows' };
    const history = new AgentSessionsChatMessageHistory({ service: backend.service, ...key });
    const said = [new HumanMessage('hello'), new AIMessage('hi there')];
    await history.addMessages(said);
    await backend.settle();
    const events = (await backend.service.getSession(key))!.events;
    expect(events.map((e) => e.extensions?.[EXTENSION_KEY])).toEqual(['HumanMessage', 'AIMessage']);
    expect(events.map((e) => e.choices?.[0]?.message.content)).toEqual(['hello', 'hi there']);
    expect(await history.getMessages()).toStrictEqual(said);
  });
});
