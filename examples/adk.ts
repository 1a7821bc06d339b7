/**
 * Google ADK with agent-sessions (`npm run example:adk`): ADK's own Runner and LlmAgent, with a
 * tool, keep their sessions in PostgreSQL (embedded PGlite here, in memory) through
 * AdkSessionService. The model is a tiny scripted one so the example runs offline; in an app it is
 * Gemini or any BaseLlm.
 *
 * What an existing ADK app changes is the session service:
 *
 *   const store = await PostgresSessionService.create({ dsn: process.env.DATABASE_URL });
 *   const runner = new Runner({ appName, agent, sessionService: new AdkSessionService(store) });
 */
import { pathToFileURL } from 'node:url';
import {
  BaseLlm,
  type BaseLlmConnection,
  type Event,
  FunctionTool,
  LlmAgent,
  type LlmRequest,
  type LlmResponse,
  Runner,
} from '@google/adk';
import { AdkSessionService } from '../src/adapters/adk/index.js';
import { PostgresSessionService, pgliteClient } from '../src/postgres/index.js';

/** Answers from a script: a tool call, then text built from the tool's result. */
class ScriptedGemini extends BaseLlm {
  constructor() {
    super({ model: 'scripted-gemini' });
  }

  async *generateContentAsync(request: LlmRequest): AsyncGenerator<LlmResponse, void> {
    const last = request.contents.at(-1)?.parts?.[0];
    if (last?.functionResponse) {
      const { forecast } = last.functionResponse.response as { forecast: string };
      yield { content: { role: 'model', parts: [{ text: `It is ${forecast} in Paris.` }] } };
    } else if (last?.text?.includes('weather')) {
      const call = { id: 'call-1', name: 'get_weather', args: { city: 'Paris' } };
      yield { content: { role: 'model', parts: [{ functionCall: call }] } };
    } else {
      const turns = request.contents.filter((c) => c.role === 'user' && c.parts?.[0]?.text).length;
      yield { content: { role: 'model', parts: [{ text: `That was message ${turns} of this chat.` }] } };
    }
  }

  async connect(): Promise<BaseLlmConnection> {
    throw new Error('live mode is not scripted');
  }
}

const weather = new FunctionTool({
  name: 'get_weather',
  description: 'The weather in a city',
  execute: (input: unknown, context) => {
    context?.state.set('user:last_city', (input as { city: string }).city);
    return { forecast: 'sunny' };
  },
});

/** Runs two turns, then reads the session back through a second service; returns the transcript. */
export async function runAdkExample(log: (line: string) => void = console.log): Promise<string[]> {
  const client = await pgliteClient();
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    log(line);
  };
  try {
    const store = await PostgresSessionService.create({ client });
    const sessionService = new AdkSessionService(store);
    const agent = new LlmAgent({ name: 'forecaster', model: new ScriptedGemini(), tools: [weather] });
    const runner = new Runner({ appName: 'weather-app', agent, sessionService });
    const session = await sessionService.createSession({ appName: 'weather-app', userId: 'ada' });
    for (const text of ['What is the weather in Paris?', 'Thanks!']) {
      say(`user: ${text}`);
      const turn = runner.runAsync({
        userId: 'ada',
        sessionId: session.id,
        newMessage: { role: 'user', parts: [{ text }] },
      });
      for await (const event of turn) say(describe(event));
    }
    await store.close();

    // Another process (here: another service on the same database) continues where it stopped.
    const reader = new AdkSessionService(await PostgresSessionService.create({ client, skipDbInit: true }));
    const stored = await reader.getSession({ appName: 'weather-app', userId: 'ada', sessionId: session.id });
    say(
      `stored: ${stored?.events.length} events, user:last_city = ${JSON.stringify(stored?.state['user:last_city'])}`,
    );
    await reader.store.close();
  } finally {
    await client.close();
  }
  return lines;
}

function describe(event: Event): string {
  const part = event.content?.parts?.[0];
  if (part?.functionCall)
    return `${event.author}: calls ${part.functionCall.name}(${JSON.stringify(part.functionCall.args)})`;
  if (part?.functionResponse)
    return `${event.author}: ${part.functionResponse.name} returned ${JSON.stringify(part.functionResponse.response)}`;
  return `${event.author}: ${part?.text ?? ''}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runAdkExample().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
