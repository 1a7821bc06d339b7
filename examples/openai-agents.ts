/**
 * The OpenAI Agents SDK with agent-sessions: two turns of a weather agent (the first calls a
 * tool) stored in embedded PGlite through `AgentSessionsSession`, then the stored conversation
 * printed. The model is a tiny scripted one, so the example runs offline; in an app it is the
 * SDK's OpenAI model and only the three marked lines are new.
 *
 *   npm run example:openai-agents
 */
import {
  Agent,
  type AgentInputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  Runner,
  tool,
  Usage,
} from '@openai/agents-core';
import { AgentSessionsSession } from '../src/adapters/openai-agents/index.js';
import { PostgresSessionService } from '../src/postgres/service.js';
import { pgliteClient } from '../src/sql/pglite-client.js';

/** A model that calls the weather tool once, then answers from the tool's output. */
class ScriptedWeatherModel implements Model {
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const input = request.input as AgentInputItem[];
    const last = input.at(-1) as { type?: string; output?: unknown; content?: unknown } | undefined;
    const answer = (text: string): ModelResponse => ({
      usage: new Usage(),
      output: [
        { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] },
      ],
    });
    if (last?.type === 'function_call_result') {
      const output = last.output as { text?: string } | string;
      return answer(`The forecast says: ${typeof output === 'string' ? output : output.text}.`);
    }
    if (input.length > 1) return answer(`We have talked ${input.length} items long; ask me about a city.`);
    const call = {
      type: 'function_call' as const,
      callId: 'call_1',
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    };
    return { usage: new Usage(), output: [{ ...call, status: 'completed' }] };
  }
  // biome-ignore lint/correctness/useYield: this example's model does not stream.
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not used in this example');
  }
}

const getWeather = tool({
  name: 'get_weather',
  description: 'The weather in a city.',
  strict: false,
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: true,
  },
  execute: async (input) => `sunny and 24°C in ${(input as { city: string }).city}`,
});

const agent = new Agent({ name: 'weather', instructions: 'Answer about the weather.', tools: [getWeather] });
const runner = new Runner({
  modelProvider: { getModel: () => new ScriptedWeatherModel() },
  tracingDisabled: true,
});

const client = await pgliteClient();
const service = await PostgresSessionService.create({ client }); // (1) the store
const session = new AgentSessionsSession({
  service,
  appName: 'weather-app',
  userId: 'ana',
  sessionId: 'chat-1',
}); // (2)

for (const question of ['What is the weather in Paris?', 'Thanks!']) {
  const result = await runner.run(agent, question, { session }); // (3) the session, given to run()
  console.log(`> ${question}\n${result.finalOutput}\n`);
}

console.log('Stored items:');
for (const item of await session.getItems()) {
  const i = item as {
    type?: string;
    role?: string;
    name?: string;
    arguments?: string;
    output?: unknown;
    content?: unknown;
  };
  const kind = i.type === 'message' || i.type === undefined ? `${i.role} message` : i.type;
  const detail = i.arguments ?? i.output ?? i.content;
  console.log(`  ${kind.padEnd(22)} ${JSON.stringify(detail)}`);
}
await service.close();
await client.close();
