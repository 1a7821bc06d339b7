import { goStruct } from './fields.js';

/**
 * The JSON fields of the trpc-agent-go structs the codec reads, with how each takes repeated keys
 * (see fields.ts). Their names and kinds follow the Go struct tags and field types.
 */

export const PROMPT_TOKENS_DETAILS = goStruct({
  cached_tokens: 'value',
  cache_creation_tokens: 'value',
  cache_read_tokens: 'value',
});
export const COMPLETION_TOKENS_DETAILS = goStruct({ reasoning_tokens: 'value' });
export const TIMING_INFO = goStruct({ time_to_first_token: 'value', reasoning_duration: 'value' });

export const USAGE = goStruct({
  prompt_tokens: 'value',
  completion_tokens: 'value',
  total_tokens: 'value',
  prompt_tokens_details: ['struct', PROMPT_TOKENS_DETAILS],
  completion_tokens_details: ['struct', COMPLETION_TOKENS_DETAILS],
  timing_info: ['structPointer', TIMING_INFO],
});

export const IMAGE = goStruct({ url: 'value', data: 'pointer', detail: 'value', format: 'value' });
export const AUDIO = goStruct({ url: 'value', data: 'pointer', format: 'value' });
export const VIDEO = goStruct({ url: 'value', data: 'pointer', format: 'value' });
export const FILE = goStruct({
  filename: 'value',
  url: 'value',
  data: 'pointer',
  file_id: 'value',
  format: 'value',
});
export const CONTENT_REF = goStruct({
  artifact_ref: 'value',
  artifact_name: 'value',
  artifact_version: 'value',
  mime_type: 'value',
  size_bytes: 'value',
  sha256: 'value',
  original_name: 'value',
  event_id: 'value',
  request_id: 'value',
});
export const CONTENT_PART = goStruct({
  type: 'value',
  text: 'pointer',
  image: ['structPointer', IMAGE],
  audio: ['structPointer', AUDIO],
  video: ['structPointer', VIDEO],
  file: ['structPointer', FILE],
  content_ref: ['structPointer', CONTENT_REF],
});

export const FUNCTION = goStruct({
  name: 'value',
  strict: 'value',
  description: 'value',
  arguments: 'value',
});
export const TOOL_CALL = goStruct({
  type: 'value',
  function: ['struct', FUNCTION],
  id: 'value',
  index: 'pointer',
  extra_fields: 'map',
});

export const MESSAGE = goStruct({
  role: 'value',
  content: 'value',
  content_parts: ['structs', CONTENT_PART],
  tool_id: 'value',
  tool_name: 'value',
  tool_calls: ['structs', TOOL_CALL],
  reasoning_content: 'value',
  reasoning_signature: 'value',
});

export const TOP_LOGPROB = goStruct({ token: 'value', logprob: 'value', bytes: 'pointer' });
export const TOKEN_LOGPROB = goStruct({
  token: 'value',
  logprob: 'value',
  bytes: 'pointer',
  top_logprobs: ['structs', TOP_LOGPROB],
});
export const LOGPROBS = goStruct({ content: ['structs', TOKEN_LOGPROB] });

export const CHOICE = goStruct({
  index: 'value',
  message: ['struct', MESSAGE],
  delta: ['struct', MESSAGE],
  finish_reason: 'pointer',
  logprobs: ['structPointer', LOGPROBS],
});

export const RESPONSE_ERROR = goStruct({
  message: 'value',
  type: 'value',
  param: 'pointer',
  code: 'pointer',
});
export const PARENT_METADATA = goStruct({ triggerType: 'value', triggerId: 'value', triggerName: 'value' });
export const EVENT_ACTIONS = goStruct({ skipSummarization: 'value' });
export const RESPONSE_META = goStruct({ id: 'value', timestamp: 'value' });

/**
 * event.Event read flat (its own fields and those of the embedded model.Response that it does not
 * shadow), plus `response`, which Go reads in a second pass with the same matching rules.
 */
export const EVENT = goStruct({
  object: 'value',
  created: 'value',
  model: 'value',
  choices: ['structs', CHOICE],
  usage: ['structPointer', USAGE],
  system_fingerprint: 'pointer',
  error: ['structPointer', RESPONSE_ERROR],
  done: 'value',
  is_partial: 'value',
  requestID: 'value',
  invocationId: 'value',
  parentInvocationId: 'value',
  parentMetadata: ['structPointer', PARENT_METADATA],
  author: 'value',
  id: 'value',
  timestamp: 'value',
  branch: 'value',
  tag: 'value',
  requiresCompletion: 'value',
  longRunningToolIDs: 'map',
  stateDelta: 'map',
  extensions: 'map',
  actions: ['structPointer', EVENT_ACTIONS],
  filterKey: 'value',
  version: 'value',
  response: ['structPointer', RESPONSE_META],
});

export const SUMMARY_BOUNDARY = goStruct({
  version: 'value',
  filter_key: 'value',
  cutoff_at: 'value',
  last_event_id: 'value',
});
export const SUMMARY = goStruct({
  summary: 'value',
  topics: 'pointer',
  updated_at: 'value',
  boundary: ['structPointer', SUMMARY_BOUNDARY],
});

export const TRACK_EVENT = goStruct({ track: 'value', payload: 'pointer', timestamp: 'value' });
export const SESSION_STATE = goStruct({ id: 'value', state: 'map', createdAt: 'value', updatedAt: 'value' });
