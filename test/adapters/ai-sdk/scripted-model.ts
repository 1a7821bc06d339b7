/**
 * A scripted language model for the AI SDK's real streamText loop: the SDK's own
 * MockLanguageModelV3 (from `ai/test`), answering each call with the next scripted step. It
 * records every prompt it was given, so a test can check what reached the model.
 */
import type { LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test';

export type Step = LanguageModelV3StreamPart[];

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

/** A finish part: `tool-calls` when the step called a tool, else `stop`. */
function finish(step: Step): LanguageModelV3StreamPart {
  const calledTool = step.some((part) => part.type === 'tool-call');
  return {
    type: 'finish',
    usage,
    finishReason: { unified: calledTool ? 'tool-calls' : 'stop', raw: undefined },
  };
}

export function scriptedModel(steps: Step[]): MockLanguageModelV3 {
  let call = 0;
  return new MockLanguageModelV3({
    doStream: async () => {
      const step = steps[call++];
      if (!step) throw new Error(`scripted model: no step ${call} scripted`);
      return { stream: simulateReadableStream({ chunks: [...step, finish(step)], chunkDelayInMs: null }) };
    },
  });
}

/** A text answer. */
export function text(id: string, value: string): Step {
  return [
    { type: 'text-start', id },
    { type: 'text-delta', id, delta: value },
    { type: 'text-end', id },
  ];
}

/** Reasoning with provider metadata (a signature the next request must send back). */
export function reasoning(id: string, value: string, signature: string): Step {
  const providerMetadata = { anthropic: { signature } };
  return [
    { type: 'reasoning-start', id, providerMetadata },
    { type: 'reasoning-delta', id, delta: value },
    { type: 'reasoning-end', id, providerMetadata },
  ];
}

export function toolCall(toolCallId: string, toolName: string, input: unknown): Step {
  return [{ type: 'tool-call', toolCallId, toolName, input: JSON.stringify(input) }];
}
