import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { InMemorySessionService } from '../../src/inmemory/service.js';
import { telemetryOf } from '../../src/observability/index.js';
import { createEvent } from '../../src/session/event.js';
import { installOtel } from './otel.js';

const user = { appName: 'no-sdk', userId: 'u1' };

// No SDK is registered in this file until the last test: the API answers with its no-op tracer.
describe('without an OpenTelemetry SDK', () => {
  it('works and starts no span: the method runs bare', async () => {
    const active: unknown[] = [];
    const svc = new InMemorySessionService({
      appendEventHooks: [
        async (_ctx, next) => {
          active.push(trace.getActiveSpan());
          await next();
        },
      ],
    });
    const telemetry = telemetryOf(svc);
    expect(telemetry?.active).toBe(false);
    expect(telemetry?.metrics).toBeUndefined();
    expect(telemetry?.persister).toBeUndefined();
    const session = await svc.createSession(user);
    await svc.appendEvent(session, createEvent({ author: 'user', message: { role: 'user', content: 'hi' } }));
    expect((await svc.getSession({ ...user, sessionId: session.id }))?.events).toHaveLength(1);
    await expect(svc.getSession({ ...user, sessionId: '' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await svc.close();
    expect(active).toEqual([undefined]);
  });

  it('picks up a tracer provider registered after the service was created', async () => {
    const svc = new InMemorySessionService();
    await svc.listAppStates('no-sdk');
    const otel = installOtel();
    try {
      await svc.listAppStates('no-sdk');
      await svc.close();
      expect(otel.spans().map((s) => s.name)).toEqual([
        'agent_sessions.list_app_states',
        'agent_sessions.close',
      ]);
    } finally {
      await otel.uninstall();
    }
  });
});
