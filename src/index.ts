/**
 * `agent-sessions`: the model and the contract every backend shares — keys, `Session`, `Event`,
 * state maps and their prefixes, summaries, tracks, hooks, options, the `SessionService` interface
 * and its errors — with the in-memory service. The PostgreSQL service is `agent-sessions/postgres`.
 *
 * This list is the public API: what is not exported here is internal and may change in any
 * release. test/package/public-surface.test.ts pins the runtime names, so an export added by
 * accident fails the tests.
 */

export { InMemorySessionService } from './inmemory/index.js';
export { type Clock, ManualClock } from './session/clock.js';
// Validation of events as the service stores them, for code that checks before it writes; JSON
// kept as its exact text (Go's numbers beyond a float64, raw extensions), see README.
export { checkEvent, checkJsonValue, RawJson, stringifyExactJson } from './session/codec/index.js';
export {
  AgentSessionsError,
  CallAbortedError,
  ClosedError,
  ConfigError,
  ConflictError,
  type ErrorCode,
  InvalidArgumentError,
  isAgentSessionsError,
  NotFoundError,
  readCallerValue,
  StorageError,
  SummarizerError,
  SummaryTimeoutError,
} from './session/errors.js';
export {
  type AudioPart,
  type Choice,
  type ContentPart,
  type ContentRef,
  CURRENT_EVENT_VERSION,
  createEvent,
  type Event,
  type FilePart,
  type FunctionCall,
  type ImagePart,
  type Int64,
  isUserMessage,
  type Logprobs,
  type Message,
  type ParentMetadata,
  type ResponseError,
  type ResponseMeta,
  type Role,
  type TokenLogprob,
  type ToolCall,
  type TopLogprob,
  type Usage,
  type VideoPart,
} from './session/event.js';
export type {
  AppendEventContext,
  AppendEventHook,
  GetSessionContext,
  GetSessionHook,
} from './session/hooks.js';
export {
  checkSessionKey,
  checkStateKey,
  checkUserKey,
  type SessionKey,
  type UserKey,
} from './session/keys.js';
export type {
  AppendEventOptions,
  EventWindowOptions,
  GetSessionOptions,
  ListSessionsOptions,
  ReplaceEventsRequest,
  SummaryCallOptions,
  SummaryTextOptions,
  TrackEventsOptions,
} from './session/options.js';
export type { CreateSessionKey, SessionService } from './session/service.js';
export type {
  ErrorReporter,
  LogFields,
  Logger,
  SessionServiceOptions,
  TelemetryOptions,
} from './session/service-options.js';
export { newSession, type Session } from './session/session.js';
export {
  APP_PREFIX,
  checkStateMap,
  jsonValue,
  newStateMap,
  readJson,
  readText,
  type StateMap,
  stateOf,
  TEMP_PREFIX,
  textValue,
  USER_PREFIX,
} from './session/state.js';
export type { SessionSummarizer } from './session/summarizer.js';
export { FULL_SESSION_FILTER_KEY, type Summary, type SummaryBoundary } from './session/summary.js';
export type { TrackEvent, TrackEvents } from './session/track.js';
