/**
 * Summaries through the adapter: the store's summarizer writes them, and the runner is given
 * "latest summary + the events after its boundary", on every backend.
 */
import { type Event as AdkEvent, LlmAgent, Runner } from '@google/adk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdkSessionService } from '../../../src/adapters/adk/index.js';
import { SUMMARY_PREFIX } from '../../../src/adapters/adk/summary.js';
import { ExtractiveSummarizer } from '../../../src/summary/index.js';
import { adapterBackends } from './backends.js';
import { ScriptedModel, textReply } from './scripted-model.js';

async function drain(events: AsyncGenerator<AdkEvent>): Promise<void> {
  for await (const _ of events);
}

describe.each(adapterBackends)('summaries on %s', (_name, makeBackend) => {
  const backend = makeBackend();
  beforeAll(() => backend.prepare());
  afterAll(() => backend.teardown());

  it('feeds the model the latest summary and only the turns after it', async () => {
    const store = await backend.open({ summarizer: new ExtractiveSummarizer() });
    const sessions = new AdkSessionService(store, { useSummaries: true });
    const app = `sum-${Math.random().toString(36).slice(2)}`;
    const model = new ScriptedModel([
      textReply('Noted: blue.'),
      textReply('Noted: cats.'),
      textReply('Blue and cats.'),
    ]);
    const runner = new Runner({
      appName: app,
      agent: new LlmAgent({ name: 'bot', model }),
      sessionService: sessions,
    });
    const { id } = await sessions.createSession({ appName: app, userId: 'u' });
    const say = (text: string) =>
      drain(runner.runAsync({ userId: 'u', sessionId: id, newMessage: { role: 'user', parts: [{ text }] } }));

    await say('My favourite colour is blue.');
    await sessions.summarize({ appName: app, userId: 'u', sessionId: id }, true);
    await say('I like cats.');
    await say('What do you know about me?');

    const context = await sessions.getSummaryContext({ appName: app, userId: 'u', sessionId: id });
    expect(context!.summary).toContain('blue');
    const texts = context!.events.map((e) => e.content?.parts?.[0]?.text);
    expect(texts).toEqual([
      SUMMARY_PREFIX + context!.summary,
      'I like cats.',
      'Noted: cats.',
      'What do you know about me?',
      'Blue and cats.',
    ]);
    // The third model call saw the summary instead of the first turn.
    const lastRequest = model.requests[2]!.contents.map((c) => c.parts?.[0]?.text);
    expect(lastRequest).toEqual([
      SUMMARY_PREFIX + context!.summary,
      'I like cats.',
      'Noted: cats.',
      'What do you know about me?',
    ]);
    // Without summaries, the whole history is there.
    const whole = await new AdkSessionService(store).getSession({ appName: app, userId: 'u', sessionId: id });
    expect(whole!.events).toHaveLength(6);
    await store.close();
  });
});
