/**
 * A model for ADK's real agent loop in tests: an implementation of ADK's `BaseLlm` that answers
 * each request with the next scripted response and records what it was asked.
 */
import { BaseLlm, type BaseLlmConnection, type LlmRequest, type LlmResponse } from '@google/adk';

export class ScriptedModel extends BaseLlm {
  readonly requests: LlmRequest[] = [];
  readonly #responses: LlmResponse[];

  constructor(responses: LlmResponse[]) {
    super({ model: 'scripted-model' });
    this.#responses = [...responses];
  }

  async *generateContentAsync(request: LlmRequest): AsyncGenerator<LlmResponse, void> {
    // A copy: the agent keeps building on the request after the call.
    this.requests.push(structuredClone({ contents: request.contents }) as LlmRequest);
    const next = this.#responses.shift();
    if (!next) throw new Error('ScriptedModel: no scripted response left');
    yield next;
  }

  async connect(): Promise<BaseLlmConnection> {
    throw new Error('ScriptedModel does not stream live');
  }
}

/** A model turn with text. */
export function textReply(text: string): LlmResponse {
  return { content: { role: 'model', parts: [{ text }] }, turnComplete: true };
}

/** A model turn calling one function. */
export function callReply(name: string, args: Record<string, unknown>, id: string): LlmResponse {
  return { content: { role: 'model', parts: [{ functionCall: { id, name, args } }] }, turnComplete: true };
}
