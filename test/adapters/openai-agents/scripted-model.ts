/**
 * A model for the OpenAI Agents SDK's runner that answers from a script instead of the network:
 * each call to the model takes the next scripted response (a list of output items), and the
 * input the runner sent is kept, so a test can check what history the model was given.
 */
import {
  type AgentInputItem,
  type AgentOutputItem,
  type Model,
  type ModelProvider,
  type ModelRequest,
  type ModelResponse,
  type StreamEvent,
  Usage,
} from '@openai/agents-core';

/** One scripted model response: its output items, or a function of the request giving them. */
export type ScriptedTurn = AgentOutputItem[] | ((request: ModelRequest) => AgentOutputItem[]);

export class ScriptedModel implements Model {
  /** The input of every model call, as the runner sent it (deep copies). */
  readonly inputs: AgentInputItem[][] = [];
  readonly #script: ScriptedTurn[];
  #calls = 0;

  constructor(script: ScriptedTurn[]) {
    this.#script = [...script];
  }

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const input =
      typeof request.input === 'string'
        ? [{ role: 'user', content: request.input } as AgentInputItem]
        : request.input;
    this.inputs.push(structuredClone(input));
    const turn = this.#script.shift();
    if (!turn) throw new Error(`the script has no response for model call ${this.#calls + 1}`);
    this.#calls += 1;
    const output = typeof turn === 'function' ? turn(request) : turn;
    return { usage: new Usage(), output: structuredClone(output), responseId: `resp_${this.#calls}` };
  }

  async *getStreamedResponse(request: ModelRequest): AsyncIterable<StreamEvent> {
    const response = await this.getResponse(request);
    yield { type: 'response_started' };
    for (const item of response.output) {
      if (item.type !== 'message' || item.role !== 'assistant') continue;
      for (const part of item.content) {
        if (part.type === 'output_text') yield { type: 'output_text_delta', delta: part.text };
      }
    }
    yield {
      type: 'response_done',
      response: {
        id: response.responseId ?? 'resp',
        usage: { requests: 1, inputTokens: 0, outputTokens: 0, totalTokens: 0 },
        output: response.output as never,
      },
    };
  }
}

export class ScriptedProvider implements ModelProvider {
  constructor(readonly model: ScriptedModel) {}
  getModel(): Model {
    return this.model;
  }
}

/** A function call item as a model emits it. */
export function functionCall(callId: string, name: string, args: string): AgentOutputItem {
  return { type: 'function_call', id: `fc_${callId}`, callId, name, arguments: args, status: 'completed' };
}

/** A final assistant message as a model emits it. */
export function assistantMessage(text: string, id = `msg_${text.length}`): AgentOutputItem {
  return {
    type: 'message',
    id,
    role: 'assistant',
    status: 'completed',
    content: [{ type: 'output_text', text }],
  };
}
