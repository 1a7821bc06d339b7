import type { Event } from '../../src/session/event.js';
import type { AppendEventHook, GetSessionHook } from '../../src/session/hooks.js';
import type { Session } from '../../src/session/session.js';
import type { SessionSummarizer } from '../../src/session/summarizer.js';

/** What one call to {@link FakeSummarizer.summarize} received. */
export interface SummarizeCall {
  sessionId: string;
  /** The events as given, in order. */
  events: Event[];
  /** Each event as `author:content` (content of its first choice's message), for short assertions. */
  lines: string[];
}

/** The text of an event's first message, or '' when it has none. */
export function contentOf(event: Event): string {
  return event.choices?.[0]?.message?.content ?? '';
}

/**
 * A summarizer that answers at once and records what it was asked. Its summary lists the contents
 * it saw, so a test can tell exactly which events went into it.
 */
export class FakeSummarizer implements SessionSummarizer {
  readonly calls: SummarizeCall[] = [];
  /** What shouldSummarize answers. */
  should = true;
  shouldCalls = 0;
  /** Overrides the summary text; the default joins the contents seen with `|`. */
  reply: ((session: Session) => string) | undefined;

  shouldSummarize(_session: Session): boolean {
    this.shouldCalls += 1;
    return this.should;
  }

  async summarize(session: Session, _signal: AbortSignal): Promise<string> {
    const events = [...session.events];
    this.calls.push({
      sessionId: session.id,
      events,
      lines: events.map((event) => `${event.author}:${contentOf(event)}`),
    });
    if (this.reply) return this.reply(session);
    return `summary(${events.map(contentOf).join('|')})`;
  }

  metadata(): Record<string, unknown> {
    return { name: 'fake' };
  }
}

/** An append hook that records `name:before` / `name:after` around `next` into `log`. */
export function tracingAppendHook(name: string, log: string[]): AppendEventHook {
  return async (_ctx, next) => {
    log.push(`${name}:before`);
    await next();
    log.push(`${name}:after`);
  };
}

/** A get-session hook that records `name:before` / `name:after` around `next` into `log`. */
export function tracingGetSessionHook(name: string, log: string[]): GetSessionHook {
  return async (_ctx, next) => {
    log.push(`${name}:before`);
    const session = await next();
    log.push(`${name}:after`);
    return session;
  };
}
