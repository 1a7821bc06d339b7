/**
 * The per-describe fixtures of the reliability suites: a schema of the block's own, and with it a
 * proxy in front of the test server, made before the block's tests and removed after them (the
 * proxy first, so no link is left open on a dropped schema). Their fields are set once the
 * block's `beforeAll` has run: read them inside tests and hooks, not while the block is declared.
 */
import { afterAll, beforeAll } from 'vitest';
import { proxyTestServer, type TestServerProxy } from './proxy.js';
import { createTestSchema, type TestSchema } from './server.js';

export interface SchemaFixture {
  readonly db: TestSchema;
}

export interface ProxiedSchemaFixture extends SchemaFixture {
  readonly proxy: TestServerProxy;
}

/** A test schema for the calling describe block. */
export function useTestSchema(): SchemaFixture {
  const fixture = {} as { db: TestSchema };
  beforeAll(async () => {
    fixture.db = await createTestSchema();
  });
  afterAll(async () => {
    await fixture.db?.drop();
  });
  return fixture;
}

/** A test schema and a proxy in front of the test server for the calling describe block. */
export function useProxiedTestSchema(): ProxiedSchemaFixture {
  const fixture = {} as { db: TestSchema; proxy: TestServerProxy };
  beforeAll(async () => {
    fixture.db = await createTestSchema();
    fixture.proxy = await proxyTestServer();
  });
  afterAll(async () => {
    await fixture.proxy?.close();
    await fixture.db?.drop();
  });
  return fixture;
}
