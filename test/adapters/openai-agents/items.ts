/**
 * Builders of the SDK's input items as its runner writes them to a session: a user message, an
 * assistant answer, a tool call and its result.
 */
import type { AgentInputItem } from '@openai/agents-core';

export const user = (text: string): AgentInputItem => ({ role: 'user', content: text });

export const assistant = (text: string): AgentInputItem => ({
  type: 'message',
  role: 'assistant',
  status: 'completed',
  content: [{ type: 'output_text', text }],
});

export const call = (callId: string, args: string): AgentInputItem => ({
  type: 'function_call',
  callId,
  name: 'get_weather',
  arguments: args,
  status: 'completed',
});

export const result = (callId: string, text: string): AgentInputItem => ({
  type: 'function_call_result',
  callId,
  name: 'get_weather',
  status: 'completed',
  output: { type: 'text', text },
});
