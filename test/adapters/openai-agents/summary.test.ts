/**
 * itemsWithSummary and the session's useSummaries: the model's context as trpc-agent-go feeds it
 * back (the latest summary, then the items after its boundary), on every backend, under the SDK's
 * own runner too; and a summary made after the first write of a new conversation, whichever write
 * created the session, comes back.
 */
import { Agent, type AgentInputItem, Runner } from '@openai/agents-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentSessionsSession, itemsWithSummary } from '../../../src/adapters/openai-agents/index.js';
import type { SessionKey } from '../../../src/index.js';
import { PromptSummarizer } from '../../../src/summary/index.js';
import { type Backend, backends } from './backends.js';
import { assistant, user } from './items.js';
import { assistantMessage, ScriptedModel, ScriptedProvider } from './scripted-model.js';

/** The text of each item, for comparing contexts. */
const texts = (items: AgentInputItem[]) =>
  items.map((item) => {
    const content = (item as { content?: unknown }).content;
    return typeof content === 'string' ? content : (content as { text: string }[])[0]!.text;
  });

describe.each(backends)('OpenAI Agents summary context on %s', (_name, open) => {
  let backend: Backend;
  // Each summary says how many events it covered, so a test can tell which one it was given.
  const summarizer = new PromptSummarizer(
    async (prompt) => `SUMMARY of ${prompt.split('\n').filter((l) => /^(user|assistant)/.test(l)).length}`,
  );
  beforeAll(async () => {
    backend = await open({ summarizer });
  });
  afterAll(async () => {
    await backend.close();
  });

  const newKey = (): SessionKey => ({ appName: 'summary-app', userId: 'u1', sessionId: crypto.randomUUID() });
  const summarize = async (key: SessionKey, filterKey = '') => {
    await backend.settle();
    await backend.service.createSessionSummary((await backend.service.getSession(key))!, filterKey, true);
  };

  // Each way a first write creates the session: the events it stores were made before the
  // session, and must not end up older than it (a summary bounded by them would be hidden).
  const firstWrites: [string, (session: AgentSessionsSession, items: AgentInputItem[]) => Promise<void>][] = [
    ['addItems', (session, items) => session.addItems(items)],
    [
      'applyHistoryTransaction',
      (session, items) =>
        session.applyHistoryTransaction({
          operationId: 'first',
          transaction: { type: 'append_items', items },
        } as never),
    ],
    ['replaceHistoryWithCompaction', (session, items) => session.replaceHistoryWithCompaction(items)],
  ];

  it.each(firstWrites)('feeds back a summary made after a first write by %s', async (_how, write) => {
    const key = newKey();
    const session = new AgentSessionsSession({ service: backend.service, ...key });
    await write(session, [user('q1'), assistant('a1')]);
    await summarize(key);
    await session.addItems([user('q2')]);
    await backend.settle();
    const stored = await backend.service.getSession(key);
    expect(Object.keys(stored!.summaries ?? {})).toEqual(['']);
    const context = await itemsWithSummary(backend.service, key);
    expect(texts(context)).toEqual(['Summary of the conversation so far:\nSUMMARY of 2', 'q2']);
    expect(context[0]).toMatchObject({ role: 'system' });
  });

  it('returns the windowed items without a summary, and nothing for a conversation never written', async () => {
    const key = newKey();
    expect(await itemsWithSummary(backend.service, key)).toEqual([]);
    const session = new AgentSessionsSession({ service: backend.service, ...key });
    await session.addItems([user('q1'), assistant('a1'), user('q2')]);
    await backend.settle();
    expect(texts(await itemsWithSummary(backend.service, key))).toEqual(['q1', 'a1', 'q2']);
    // historyLimit considers the newest events only.
    expect(texts(await itemsWithSummary(backend.service, key, { historyLimit: 2 }))).toEqual(['a1', 'q2']);
  });

  it('takes a filter key, a role and a preamble, which useSummaries passes on to getItems', async () => {
    const key = newKey();
    const session = new AgentSessionsSession({ service: backend.service, ...key });
    await session.addItems([user('q1'), assistant('a1')]);
    await summarize(key, 'notes');
    await session.addItems([user('q2'), assistant('a2')]);
    await backend.settle();
    // No full-session summary: the default filter key finds none.
    expect(texts(await itemsWithSummary(backend.service, key))).toEqual(['q1', 'a1', 'q2', 'a2']);
    const options = { filterKey: 'notes', role: 'user', preamble: 'Earlier:' } as const;
    const context = await itemsWithSummary(backend.service, key, options);
    expect(context[0]).toMatchObject({ role: 'user' });
    expect(texts(context)).toEqual(['Earlier:\nSUMMARY of 2', 'q2', 'a2']);
    const summarized = new AgentSessionsSession({ service: backend.service, ...key, useSummaries: options });
    expect(await summarized.getItems()).toEqual(context);
    // getItems(n) considers the newest n stored events (as itemsWithSummary's historyLimit), after
    // the summary message.
    expect(texts(await summarized.getItems(1))).toEqual(['Earlier:\nSUMMARY of 2', 'a2']);
    const plain = new AgentSessionsSession({ service: backend.service, ...key, useSummaries: false });
    expect(texts(await plain.getItems())).toEqual(['q1', 'a1', 'q2', 'a2']);
  });

  it("gives the runner's model one summary per turn and stores none of it (useSummaries under run())", async () => {
    const key = newKey();
    const model = new ScriptedModel(
      ['a1', 'a2', 'a3', 'a4'].map((text) => [assistantMessage(text, `msg_${text}`)]),
    );
    const runner = new Runner({ modelProvider: new ScriptedProvider(model), tracingDisabled: true });
    const agent = new Agent({ name: 'helper', instructions: 'Help.' });
    const session = new AgentSessionsSession({ service: backend.service, ...key, useSummaries: true });
    await runner.run(agent, 'q1', { session });
    await summarize(key);
    for (const question of ['q2', 'q3', 'q4']) {
      await runner.run(agent, question, { session });
      await backend.settle();
    }
    const summaryText = 'Summary of the conversation so far:\nSUMMARY of 2';
    expect(model.inputs.map(texts)).toEqual([
      ['q1'],
      [summaryText, 'q2'],
      [summaryText, 'q2', 'a2', 'q3'],
      [summaryText, 'q2', 'a2', 'q3', 'a3', 'q4'],
    ]);
    // What the runner stored: the turns, and no summary message (the SDK stores whatever new item
    // a sessionInputCallback adds, which is how a callback-fed summary piled up turn after turn).
    const stored = new AgentSessionsSession({ service: backend.service, ...key });
    expect(texts(await stored.getItems())).toEqual(['q1', 'a1', 'q2', 'a2', 'q3', 'a3', 'q4', 'a4']);
    const events = (await backend.service.getSession(key, { eventPage: { offset: 0, limit: 100 } }))!.events;
    expect(events.map((e) => e.author)).not.toContain('system');
  });

  it('refuses a useSummaries that is not a boolean or summary options, naming the field', () => {
    const make = (useSummaries: unknown) => () =>
      new AgentSessionsSession({
        service: backend.service,
        ...newKey(),
        useSummaries: useSummaries as never,
      });
    expect(make('yes')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.useSummaries' }),
    );
    expect(make(null)).toThrow(expect.objectContaining({ field: 'options.useSummaries' }));
    expect(make({ role: 'assistant' })).toThrow(
      expect.objectContaining({ field: 'options.useSummaries.role' }),
    );
    expect(make({ filterKey: 1 })).toThrow(
      expect.objectContaining({ field: 'options.useSummaries.filterKey' }),
    );
    expect(make({ preamble: [] })).toThrow(
      expect.objectContaining({ field: 'options.useSummaries.preamble' }),
    );
    expect(make({ filterKey: 'notes', role: 'user', preamble: 'Earlier:' })).not.toThrow();
  });
});
