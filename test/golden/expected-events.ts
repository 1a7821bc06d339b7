import type { Event } from '../../src/session/event.js';
import { bytes, fixture, goZero, mapOf, utc } from './helpers.js';

/**
 * The events the fixtures hold, in the canonical shape the decoder returns: every field Go always
 * writes is set, omitempty fields only when non-zero, pointer fields only when non-nil.
 */
export const expectedEvents: Record<string, Event> = {
  'event-user-message.json': {
    object: '',
    created: 0,
    model: '',
    choices: [
      { index: 0, message: { role: 'user', content: "What's the weather in Paris?" }, delta: { role: '' } },
    ],
    done: false,
    is_partial: false,
    invocationId: 'inv-1',
    author: 'user',
    id: 'e-user-1',
    timestamp: utc(2026, 1, 2, 3, 4, 5, 123, 456_789),
    filterKey: 'assistant',
    version: 1,
    response: { timestamp: goZero() },
  },

  'event-assistant-reply.json': {
    object: 'chat.completion',
    created: 1767323045,
    model: 'gpt-4o-mini',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'It is sunny in Paris, 21 °C.' },
        delta: { role: '' },
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: 42,
      completion_tokens: 12,
      total_tokens: 54,
      prompt_tokens_details: { cached_tokens: 8, cache_read_tokens: 8 },
      completion_tokens_details: { reasoning_tokens: 3 },
      timing_info: { time_to_first_token: 250_000_000 },
    },
    system_fingerprint: 'fp_44709d6fcb',
    done: true,
    is_partial: false,
    requestID: 'req-7',
    invocationId: 'inv-1',
    author: 'assistant',
    id: 'e-asst-1',
    timestamp: utc(2026, 1, 2, 3, 4, 6, 500),
    filterKey: 'assistant',
    version: 1,
    response: { id: 'chatcmpl-abc123', timestamp: utc(2026, 1, 2, 3, 4, 6, 400) },
  },

  'event-tool-call.json': {
    object: 'chat.completion',
    created: 1767323046,
    model: 'gpt-4o-mini',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          tool_calls: [
            {
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' },
              id: 'call_abc',
              index: 0,
            },
            {
              type: 'function',
              function: { name: 'noop', strict: true, description: 'does nothing' },
              index: 1,
              // Go re-marshals map[string]any with sorted keys, at every depth.
              extra_fields: mapOf<unknown>([
                ['b', 1],
                ['a', { z: true, y: null }],
              ]),
            },
          ],
        },
        delta: { role: '' },
        finish_reason: 'tool_calls',
      },
    ],
    done: true,
    is_partial: false,
    invocationId: 'inv-1',
    author: 'assistant',
    id: 'e-call-1',
    timestamp: utc(2026, 1, 2, 3, 4, 6, 1),
    longRunningToolIDs: mapOf([['call_abc', {}]]),
    filterKey: 'assistant',
    version: 1,
    response: { id: 'chatcmpl-def', timestamp: utc(2026, 1, 2, 3, 4, 6) },
  },

  'event-tool-result.json': {
    object: 'tool.response',
    created: 0,
    model: '',
    choices: [
      {
        index: 0,
        message: {
          role: 'tool',
          content: '{"temp":21,"sky":"sunny"}',
          tool_id: 'call_abc',
          tool_name: 'get_weather',
        },
        delta: { role: '' },
      },
    ],
    done: true,
    is_partial: false,
    invocationId: 'inv-1',
    author: 'assistant',
    id: 'e-result-1',
    timestamp: utc(2026, 1, 2, 3, 4, 7, 250),
    filterKey: 'assistant',
    version: 1,
    response: { timestamp: goZero() },
  },

  'event-partial-chunk.json': {
    object: 'chat.completion.chunk',
    created: 1767323047,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: '' }, delta: { role: 'assistant', content: 'It is' } }],
    done: false,
    is_partial: true,
    invocationId: 'inv-1',
    author: 'assistant',
    id: 'e-chunk-1',
    timestamp: utc(2026, 1, 2, 3, 4, 6, 300),
    filterKey: 'assistant',
    version: 1,
    response: { id: 'chatcmpl-abc123', timestamp: utc(2026, 1, 2, 3, 4, 6, 300) },
  },

  'event-state-delta.json': {
    object: 'state.update',
    created: 0,
    model: '',
    choices: null,
    done: true,
    is_partial: false,
    requestID: 'req-9',
    invocationId: 'inv-2',
    parentInvocationId: 'inv-1',
    parentMetadata: { triggerType: 'tool_call', triggerId: 'call_abc', triggerName: 'researcher' },
    author: 'researcher',
    id: 'e-state-1',
    timestamp: utc(2026, 1, 2, 3, 4, 8),
    branch: 'root.researcher',
    tag: 'transfer;custom',
    requiresCompletion: true,
    longRunningToolIDs: mapOf([
      ['call_b', {}],
      ['call_a', {}],
    ]),
    stateDelta: mapOf([
      ['user:lang', bytes('"fr"')],
      ['counter', bytes('42')],
      ['cleared', null],
      ['app:theme', bytes('dark')],
      ['temp:scratch', new Uint8Array(0)],
    ]),
    extensions: mapOf<unknown>([
      ['zeta', [1, 2.5, 'x', null, true, {}]],
      ['trpc_agent.tool_call_args', { call_abc: { city: 'Paris' } }],
    ]),
    actions: { skipSummarization: true },
    filterKey: 'root/researcher',
    version: 1,
    response: { timestamp: goZero() },
  },

  'event-image-part.json': {
    object: '',
    created: 0,
    model: '',
    choices: [
      {
        index: 0,
        message: {
          role: 'user',
          content_parts: [
            { type: 'text', text: 'What is in this picture?' },
            {
              type: 'image',
              image: {
                url: '',
                data: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
                detail: 'high',
                format: 'png',
              },
            },
          ],
        },
        delta: { role: '' },
      },
    ],
    done: false,
    is_partial: false,
    invocationId: 'inv-3',
    author: 'user',
    id: 'e-image-1',
    timestamp: utc(2026, 1, 2, 3, 4, 9, 0, 1000),
    version: 1,
    response: { timestamp: goZero() },
  },

  'event-content-kinds.json': {
    object: 'chat.completion',
    created: 1767323050,
    model: 'omni',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content_parts: [
            // A *string: an empty text is still written.
            { type: 'text', text: '' },
            { type: 'audio', audio: { data: bytes('RIFF'), format: 'wav' } },
            { type: 'video', video: { url: 'https://example.com/v.mp4', data: null } },
            {
              type: 'file',
              file: { filename: 'notes.pdf', data: null, file_id: 'file-123', format: 'application/pdf' },
            },
            {
              type: 'file',
              content_ref: {
                artifact_ref: 'artifact://a1',
                artifact_version: 2,
                mime_type: 'text/plain',
                size_bytes: 1024,
                sha256: 'ab12',
              },
            },
          ],
          reasoning_content: 'Look at each part.',
          reasoning_signature: 'sig-1',
        },
        delta: { role: '' },
        finish_reason: '',
        logprobs: {
          content: [
            {
              token: 'Hi',
              logprob: -0.0123,
              bytes: [72, 105],
              top_logprobs: [
                { token: 'Hi', logprob: -0.0123 },
                { token: 'Hello', logprob: -4.5e-7 },
              ],
            },
          ],
        },
      },
      { index: 1, message: { role: 'assistant', content: 'second' }, delta: { role: '' }, logprobs: {} },
    ],
    usage: {
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: {},
      timing_info: {},
    },
    system_fingerprint: '',
    done: true,
    is_partial: false,
    invocationId: 'inv-6',
    author: 'assistant',
    id: 'e-kinds-1',
    timestamp: utc(2026, 1, 2, 3, 4, 12),
    actions: {},
    version: 1,
    response: { id: 'resp-kinds', timestamp: utc(2026, 1, 2, 3, 4, 12) },
  },

  'event-no-response.json': {
    invocationId: 'inv-4',
    author: 'runner',
    id: 'e-bare-1',
    timestamp: utc(2026, 1, 2, 3, 4, 10),
    stateDelta: mapOf([['k', bytes('v')]]),
    version: 1,
  },

  'event-error-only.json': {
    object: 'error',
    created: 0,
    model: '',
    choices: null,
    error: { message: 'rate limited', type: 'api_error', code: '429' },
    done: true,
    is_partial: false,
    invocationId: 'inv-5',
    author: 'assistant',
    id: 'e-error-1',
    timestamp: utc(2026, 1, 2, 3, 4, 11),
    version: 1,
    response: { timestamp: goZero() },
  },

  'event-escaping.json': {
    object: '',
    created: 0,
    model: '',
    choices: [
      {
        index: 0,
        message: {
          role: 'user',
          content:
            '<b>Tom & Jerry</b> 😀 line\u2028sep para\u2029sep "quoted" back\\slash tab\t nl\n cr\r bs\b ff\f ctl\u0001\u001f del\u007f é /',
        },
        delta: { role: '' },
      },
    ],
    done: false,
    is_partial: false,
    invocationId: 'inv-8',
    author: 'user',
    id: 'e-escape-1',
    timestamp: utc(2026, 1, 2, 3, 4, 13),
    // Go orders keys by UTF-8 bytes: U+FF61 before U+1F600, unlike UTF-16 order.
    stateDelta: mapOf([
      ['😀', bytes('1')],
      ['｡', bytes('1')],
      ['z', null],
      ['a<b', bytes('1')],
    ]),
    extensions: mapOf<unknown>([['html', '<script>alert(1)</script> &amp; \u2028']]),
    version: 1,
    response: { timestamp: goZero() },
  },
};

/** Fixtures that are read but not written as they are: older or non-UTC payloads. */
export const decodeOnlyEvents: Record<string, { event: Event; reencoded: () => string }> = {
  'event-legacy-flat.json': {
    event: {
      object: 'chat.completion',
      created: 1735689600,
      model: 'gpt-4',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, delta: { role: '' } }],
      done: true,
      is_partial: false,
      invocationId: 'inv-old',
      author: 'assistant',
      id: 'e-legacy-1',
      timestamp: utc(2025, 1, 1),
      branch: 'assistant',
      // Go allocates the response from the flat fields; its own id and timestamp stay zero.
      response: { timestamp: goZero() },
    },
    // Written again, it gains the nested `response` every current Go writer adds.
    reencoded: () =>
      fixture('event-legacy-flat.json').replace(/}$/, ',"response":{"timestamp":"0001-01-01T00:00:00Z"}}'),
  },
  'event-timestamp-offset.json': {
    event: {
      object: 'chat.completion',
      created: 1767323045,
      model: 'gpt-4o-mini',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Bonjour' },
          delta: { role: '' },
          finish_reason: 'stop',
        },
      ],
      done: true,
      is_partial: false,
      invocationId: 'inv-7',
      author: 'assistant',
      id: 'e-offset-1',
      timestamp: utc(2026, 1, 2, 3, 4, 5, 123, 456_789),
      version: 1,
      response: { id: 'chatcmpl-sh', timestamp: utc(2026, 1, 2, 3, 4, 5, 100) },
    },
    reencoded: () => fixture('event-timestamp-offset.utc.json'),
  },
};
