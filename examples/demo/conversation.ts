/**
 * The scripted conversation of the demo: a travel assistant helping a user plan a weekend, with
 * a tool call and its result, state in all three scopes, a track and a summary. Everything goes
 * through the SessionService API exactly as an agent framework would use it.
 */
import { randomUUID } from 'node:crypto';
import { createEvent, type Event, type Message } from '../../src/session/event.js';
import type { SessionService } from '../../src/session/service.js';
import type { Session } from '../../src/session/session.js';
import { readText, stateOf } from '../../src/session/state.js';

export const APP_NAME = 'travel-assistant';
export const USER_ID = 'ada';

/** A message event, as an agent framework writes one per turn. */
function message(
  author: string,
  invocationId: string,
  msg: Message,
  stateDelta?: Record<string, unknown>,
): Event {
  return createEvent({
    author,
    invocationId,
    message: msg,
    done: true,
    ...(stateDelta ? { stateDelta: stateOf(stateDelta) } : {}),
  });
}

const WEATHER_ARGS = JSON.stringify({ city: 'Lisbon', days: 2 });
const WEATHER_RESULT = JSON.stringify({
  city: 'Lisbon',
  forecast: [
    { day: 'Sat', high_c: 24, sky: 'sunny' },
    { day: 'Sun', high_c: 22, sky: 'partly cloudy' },
  ],
});

/**
 * Plays the conversation into a new session and returns it (as the writer holds it). Each run
 * also counts itself in app state (`app:demo_runs`), which every session of the app sees.
 */
export async function playConversation(service: SessionService): Promise<Session> {
  // App scope: a counter every session of the app sees; user scope: preferences that follow the
  // user into every new session.
  const appState = await service.listAppStates(APP_NAME);
  const run = Number(readText(appState, 'demo_runs') ?? '0') + 1;
  await service.updateAppState(APP_NAME, stateOf({ 'app:demo_runs': String(run) }));

  const session = await service.createSession(
    { appName: APP_NAME, userId: USER_ID },
    stateOf({ channel: 'cli', demo_run: String(run) }),
  );

  // Turn 1: a question that needs a tool.
  let invocation = randomUUID();
  await service.appendEvent(
    session,
    message('user', invocation, {
      role: 'user',
      content: "Hi! I'm planning a weekend in Lisbon. What will the weather be like?",
    }),
  );
  const callId = `call_${randomUUID().slice(0, 8)}`;
  await service.appendEvent(
    session,
    message('travel-agent', invocation, {
      role: 'assistant',
      content: '',
      tool_calls: [
        { type: 'function', id: callId, function: { name: 'get_weather', arguments: WEATHER_ARGS } },
      ],
    }),
  );
  await service.appendEvent(
    session,
    message(
      'travel-agent',
      invocation,
      { role: 'tool', tool_id: callId, tool_name: 'get_weather', content: WEATHER_RESULT },
      { trip_city: 'Lisbon', trip_days: 2 },
    ),
  );
  await service.appendTrackEvent(session, {
    track: 'tool-calls',
    payload: { tool: 'get_weather', call_id: callId, latency_ms: 184, ok: true },
    timestamp: new Date(),
  });
  await service.appendEvent(
    session,
    message('travel-agent', invocation, {
      role: 'assistant',
      content: 'Sunny on Saturday (24 °C) and partly cloudy on Sunday (22 °C): good walking weather.',
    }),
  );

  // Turn 2: the user states preferences; they are kept in user state for later sessions.
  invocation = randomUUID();
  await service.appendEvent(
    session,
    message('user', invocation, {
      role: 'user',
      content: 'Great. Please remember that I prefer metric units and a window seat.',
    }),
  );
  await service.updateUserState(
    { appName: APP_NAME, userId: USER_ID },
    stateOf({ units: 'metric', seat: 'window' }),
  );
  await service.appendEvent(
    session,
    message('travel-agent', invocation, {
      role: 'assistant',
      content: "Noted: metric units and a window seat. I'll use them whenever we plan a trip.",
    }),
  );

  // Turn 3: a plain question and answer.
  invocation = randomUUID();
  await service.appendEvent(
    session,
    message('user', invocation, { role: 'user', content: 'Suggest one thing to do on Saturday evening.' }),
  );
  await service.appendEvent(
    session,
    message(
      'travel-agent',
      invocation,
      {
        role: 'assistant',
        content:
          'Watch the sunset from the Miradouro da Senhora do Monte, then walk down to Graça for dinner: grilled sardines are in season.',
      },
      { last_suggestion: 'Miradouro da Senhora do Monte' },
    ),
  );

  // The full-session summary, made now by the deterministic extractive summarizer.
  await service.createSessionSummary(session, '', true);
  return session;
}
