import { describe, expect, it } from 'vitest';
import { InMemorySessionService } from '../../src/inmemory/service.js';
import { ManualClock } from '../../src/session/clock.js';
import { ConfigError } from '../../src/session/errors.js';
import { createEvent, type Event, type Message } from '../../src/session/event.js';
import { newSession, type Session } from '../../src/session/session.js';
import { OMITTED_MARKER } from '../../src/summary/extractive-summarizer.js';
import {
  afterIdle,
  afterTokens,
  allOf,
  anyOf,
  DEFAULT_SUMMARY_PROMPT,
  ExtractiveSummarizer,
  everyNEvents,
  PromptSummarizer,
  type SummaryChecker,
  splitSummaryInput,
} from '../../src/summary/index.js';
import { renderConversation } from '../../src/summary/prompt-summarizer.js';
import { previousSummaryEvent } from '../../src/summary/summarize-session.js';

const T0 = Date.UTC(2026, 0, 1);
const at = (seconds: number) => new Date(T0 + seconds * 1000);
let seq = 0;

function msg(author: string, message: Message, seconds = ++seq): Event {
  return createEvent({ author, id: `e${seconds}`, now: at(seconds), message });
}

const user = (content: string) => msg('user', { role: 'user', content });
const reply = (content: string, author = 'weather-agent') => msg(author, { role: 'assistant', content });

/** A short trip-planning exchange with a tool call, its result and a stated preference. */
function conversation(): Event[] {
  return [
    user("What's the weather in Paris tomorrow?"),
    msg('weather-agent', {
      role: 'assistant',
      content: '',
      tool_calls: [
        {
          type: 'function',
          id: 'call-1',
          function: { name: 'get_weather', arguments: '{"city":"Paris","day":"tomorrow"}' },
        },
      ],
    }),
    msg('weather-agent', {
      role: 'tool',
      tool_id: 'call-1',
      tool_name: 'get_weather',
      content: '{"tempC":18,"sky":"sunny"}',
    }),
    reply('Tomorrow Paris will be sunny, around 18 °C.\n\nTake sunglasses.'),
    user('Book me a table for two at 8pm; I prefer vegetarian.'),
  ];
}

function sessionOf(events: Event[], previousSummary?: string): Session {
  const session = newSession({ appName: 'app', userId: 'u', sessionId: 's' }, at(0));
  session.events = previousSummary ? [previousSummaryEvent(previousSummary, at(0)), ...events] : events;
  return session;
}

const signal = () => new AbortController().signal;

describe('summary checkers', () => {
  it('counts only the events since the previous summary', () => {
    const three = everyNEvents(3);
    expect(three(sessionOf([user('a'), user('b')]))).toBe(false);
    expect(three(sessionOf([user('a'), user('b')], 'earlier'))).toBe(false);
    expect(three(sessionOf([user('a'), user('b'), user('c')]))).toBe(true);
    expect(everyNEvents(1)(sessionOf([]))).toBe(false);
  });

  it('does not take a real system message for the previous summary', () => {
    const system = msg('system', { role: 'system', content: 'be brief' });
    expect(splitSummaryInput(sessionOf([system, user('a')]))).toEqual({
      previousSummary: undefined,
      events: [system, expect.objectContaining({ id: expect.any(String) })],
    });
    expect(splitSummaryInput(sessionOf([user('a')], 'so far')).previousSummary).toBe('so far');
  });

  it('estimates tokens at four characters each unless given an estimator', () => {
    const events = [user('x'.repeat(40)), user('y'.repeat(36))]; // 10 + 9 tokens
    expect(afterTokens(19)(sessionOf(events))).toBe(true);
    expect(afterTokens(20)(sessionOf(events))).toBe(false);
    const words = (text: string) => text.split(' ').length;
    expect(afterTokens(4, words)(sessionOf([user('one two'), user('three four')]))).toBe(true);
    expect(afterTokens(5, words)(sessionOf([user('one two'), user('three four')]))).toBe(false);
  });

  it('counts tool-call arguments as tokens, and not the previous summary', () => {
    const [, call] = conversation();
    expect(afterTokens(9)(sessionOf([call!]))).toBe(true); // "get_weather {…}" is 45 characters
    expect(afterTokens(1)(sessionOf([], 'a long previous summary'))).toBe(false);
  });

  it('fires after the conversation has been idle long enough', () => {
    const clock = new ManualClock(at(100));
    const idle = afterIdle(60_000, clock);
    const session = sessionOf([user('a'), msg('user', { role: 'user', content: 'b' }, 90)]);
    expect(idle(session)).toBe(false);
    clock.set(at(150));
    expect(idle(session)).toBe(true);
    expect(idle(sessionOf([], 'only a summary'))).toBe(false);
  });

  it('combines checkers with anyOf and allOf', () => {
    const yes: SummaryChecker = () => true;
    const no: SummaryChecker = () => false;
    expect(anyOf(no, yes)(sessionOf([]))).toBe(true);
    expect(anyOf(no, no)(sessionOf([]))).toBe(false);
    expect(allOf(yes, no)(sessionOf([]))).toBe(false);
    expect(allOf(yes, yes)(sessionOf([]))).toBe(true);
    expect(anyOf()(sessionOf([]))).toBe(false);
    expect(allOf()(sessionOf([]))).toBe(true);

    const clock = new ManualClock(at(1000));
    const policy = anyOf(everyNEvents(10), allOf(everyNEvents(2), afterIdle(60_000, clock)));
    const two = sessionOf([user('a'), user('b')]);
    expect(policy(two)).toBe(true);
    clock.set(at(seq + 30));
    expect(policy(two)).toBe(false);
  });

  it('rejects thresholds that are not counts', () => {
    expect(() => everyNEvents(0)).toThrow(ConfigError);
    expect(() => afterTokens(1.5)).toThrow(ConfigError);
    expect(() => afterIdle(-1)).toThrow(ConfigError);
  });
});

describe('ExtractiveSummarizer', () => {
  it('writes one readable line per turn', async () => {
    const text = await new ExtractiveSummarizer().summarize(sessionOf(conversation()), signal());
    expect(text).toBe(
      [
        "User asked: What's the weather in Paris tomorrow?",
        'Tool get_weather called with {"city":"Paris","day":"tomorrow"}',
        'Tool get_weather returned: {"tempC":18,"sky":"sunny"}',
        'weather-agent answered: Tomorrow Paris will be sunny, around 18 °C. Take sunglasses.',
        'User asked: Book me a table for two at 8pm; I prefer vegetarian.',
      ].join('\n'),
    );
  });

  it('gives the same text for the same events, byte for byte', async () => {
    const events = conversation();
    const a = await new ExtractiveSummarizer({ maxChars: 150 }).summarize(sessionOf(events), signal());
    const b = await new ExtractiveSummarizer({ maxChars: 150 }).summarize(
      sessionOf(structuredClone(events)),
      signal(),
    );
    expect(Buffer.from(a)).toEqual(Buffer.from(b));
  });

  it('carries the previous summary forward ahead of the new turns', async () => {
    const text = await new ExtractiveSummarizer().summarize(
      sessionOf([user('And on Sunday?')], 'User asked: Weather in Paris?\nAssistant answered: Sunny.'),
      signal(),
    );
    expect(text).toBe(
      'User asked: Weather in Paris?\nAssistant answered: Sunny.\nUser asked: And on Sunday?',
    );
  });

  it('stays within maxChars by dropping the oldest lines, and says so once', async () => {
    const summarizer = new ExtractiveSummarizer({ maxChars: 120 });
    const events = Array.from({ length: 12 }, (_, i) => user(`question number ${i}`));
    const first = await summarizer.summarize(sessionOf(events), signal());
    expect(first.length).toBeLessThanOrEqual(120);
    expect(first.split('\n')[0]).toBe(OMITTED_MARKER);
    expect(first.endsWith('User asked: question number 11')).toBe(true);

    const second = await summarizer.summarize(sessionOf([user('one more')], first), signal());
    expect(second.length).toBeLessThanOrEqual(120);
    expect(second.split('\n').filter((line) => line === OMITTED_MARKER)).toHaveLength(1);
    expect(second.endsWith('User asked: one more')).toBe(true);
  });

  it('marks a previous summary cut away entirely rather than dropping it silently', async () => {
    const text = await new ExtractiveSummarizer({ maxChars: 100, lineWidth: 60 }).summarize(
      sessionOf([user('a'.repeat(80))], 'The user is planning a long weekend in Paris in May.'),
      signal(),
    );
    expect(text).toBe(`${OMITTED_MARKER}\nUser asked: ${'a'.repeat(47)}…`);
  });

  it('clips long turns to lineWidth without splitting a character', async () => {
    const summarizer = new ExtractiveSummarizer({ lineWidth: 20 });
    expect(await summarizer.summarize(sessionOf([user('abcdefghijklmnop')]), signal())).toBe(
      'User asked: abcdefg…',
    );
    // 'User asked: abcdef' is 18 code units; the emoji's two halves straddle the cut.
    const emoji = await summarizer.summarize(sessionOf([user('abcdef😀😀😀')]), signal());
    expect(emoji).toBe('User asked: abcdef…');
  });

  it('summarizes whenever there is something new unless given a checker', () => {
    expect(new ExtractiveSummarizer().shouldSummarize(sessionOf([user('hi')]))).toBe(true);
    const lazy = new ExtractiveSummarizer({ shouldSummarize: everyNEvents(5) });
    expect(lazy.shouldSummarize(sessionOf(conversation()))).toBe(true);
    expect(lazy.shouldSummarize(sessionOf([user('hi')]))).toBe(false);
  });

  it('rejects an aborted signal and bad options', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(
      new ExtractiveSummarizer().summarize(sessionOf([user('hi')]), controller.signal),
    ).rejects.toThrow('stop');
    expect(() => new ExtractiveSummarizer({ maxChars: 10 })).toThrow(ConfigError);
    expect(() => new ExtractiveSummarizer({ lineWidth: 0 })).toThrow(ConfigError);
  });

  it('summarizes through the in-memory service, incrementally', async () => {
    const service = new InMemorySessionService({ summarizer: new ExtractiveSummarizer() });
    const session = await service.createSession({ appName: 'app', userId: 'u', sessionId: 'trip' });
    const turn = (author: string, message: Message) =>
      service.appendEvent(session, createEvent({ author, message }));
    await turn('user', { role: 'user', content: 'Plan a weekend in Lisbon.' });
    await turn('planner', { role: 'assistant', content: 'Day one: Alfama and the castle.' });
    await service.createSessionSummary(session, '', false);
    expect(await service.getSessionSummaryText(session)).toBe(
      'User asked: Plan a weekend in Lisbon.\nplanner answered: Day one: Alfama and the castle.',
    );

    await turn('user', { role: 'user', content: 'No museums, please.' });
    await service.createSessionSummary(session, '', false);
    const fresh = await service.getSession({ appName: 'app', userId: 'u', sessionId: 'trip' });
    expect(await service.getSessionSummaryText(fresh!)).toBe(
      'User asked: Plan a weekend in Lisbon.\nplanner answered: Day one: Alfama and the castle.\n' +
        'User asked: No museums, please.',
    );
    await service.close();
  });
});

describe('PromptSummarizer', () => {
  it('sends the default prompt with the rendered conversation and the previous summary', async () => {
    const prompts: string[] = [];
    const summarizer = new PromptSummarizer(async (prompt) => {
      prompts.push(prompt);
      return 'ok';
    });
    await summarizer.summarize(sessionOf(conversation(), 'The user lives in Lyon.'), signal());
    const rendered = [
      "user: What's the weather in Paris tomorrow?",
      'assistant/weather-agent: called tool get_weather with {"city":"Paris","day":"tomorrow"}',
      'tool/weather-agent: tool get_weather returned {"tempC":18,"sky":"sunny"}',
      'assistant/weather-agent: Tomorrow Paris will be sunny, around 18 °C.\n\nTake sunglasses.',
      'user: Book me a table for two at 8pm; I prefer vegetarian.',
    ].join('\n');
    expect(prompts).toEqual([
      DEFAULT_SUMMARY_PROMPT.replace('{previous_summary}', 'The user lives in Lyon.').replace(
        '{conversation}',
        rendered,
      ),
    ]);
    expect(prompts[0]).toContain('preferences');
  });

  it('fills a custom template, with (none) before the first summary', async () => {
    let seen = '';
    const summarizer = new PromptSummarizer(
      async (prompt) => {
        seen = prompt;
        return 'ok';
      },
      { prompt: 'Before: {previous_summary}\nNow:\n{conversation}\nEnd.' },
    );
    await summarizer.summarize(sessionOf([user('say {previous_summary} literally')]), signal());
    expect(seen).toBe('Before: (none)\nNow:\nuser: say {previous_summary} literally\nEnd.');
    expect(() => new PromptSummarizer(async () => '', { prompt: 'no placeholder' })).toThrow(ConfigError);
  });

  it('passes the signal on and rejects when it aborts, even if the function ignores it', async () => {
    let received: AbortSignal | undefined;
    const summarizer = new PromptSummarizer((_prompt, sig) => {
      received = sig;
      return new Promise<string>(() => {}); // never settles: a client that ignores the signal
    });
    const controller = new AbortController();
    const pending = summarizer.summarize(sessionOf([user('hi')]), controller.signal);
    controller.abort(new Error('timed out'));
    await expect(pending).rejects.toThrow('timed out');
    expect(received).toBe(controller.signal);
  });

  it('trims the answer', async () => {
    const summarizer = new PromptSummarizer(async () => '\n  The user wants a vegetarian dinner.  \n');
    expect(await summarizer.summarize(sessionOf([user('hi')]), signal())).toBe(
      'The user wants a vegetarian dinner.',
    );
  });

  it('keeps the newest conversation within maxInputChars', async () => {
    let seen = '';
    const summarizer = new PromptSummarizer(
      async (prompt) => {
        seen = prompt;
        return 'ok';
      },
      { prompt: '{conversation}', maxInputChars: 100 },
    );
    const events = Array.from({ length: 10 }, (_, i) => user(`message number ${i}`));
    await summarizer.summarize(sessionOf(events), signal());
    expect(seen.length).toBeLessThanOrEqual(100);
    expect(seen).toBe(
      [
        '[7 earlier entries omitted]',
        'user: message number 7',
        'user: message number 8',
        'user: message number 9',
      ].join('\n'),
    );
    const long = renderConversation([user('x'.repeat(500))], 100);
    expect(long).toHaveLength(100);
    expect(long.endsWith('…')).toBe(true);
  });

  it('describes itself and follows its checker', () => {
    const complete = async () => '';
    expect(new PromptSummarizer(complete).metadata()).toEqual({ kind: 'prompt' });
    expect(new PromptSummarizer(complete, { model: 'gpt-4o-mini' }).metadata()).toEqual({
      kind: 'prompt',
      model: 'gpt-4o-mini',
    });
    const lazy = new PromptSummarizer(complete, { shouldSummarize: everyNEvents(2) });
    expect(lazy.shouldSummarize(sessionOf([user('hi')]))).toBe(false);
    expect(() => new PromptSummarizer(complete, { maxInputChars: 0 })).toThrow(ConfigError);
  });
});
