/**
 * The setup a PostgreSQL-backend test file repeats, for use inside `describe.each(testDatabases)`:
 * the database is opened and the tables created once (beforeAll), and every service made through
 * the suite is closed before the database is (afterAll). Each `service()` gets a ManualClock at
 * `start` and a fresh app name, so a case never sees another case's rows.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { PostgresSessionServiceOptions } from '../../src/postgres/options.js';
import { PostgresSessionService } from '../../src/postgres/service.js';
import { ManualClock } from '../../src/session/clock.js';
import type { TestDatabase } from './database.js';

export interface ServiceSuiteOptions {
  /** Where each service's clock starts (ms since the epoch). */
  start: number;
  /** Options every service of the suite gets; a `service()` call's own options win. */
  defaults?: PostgresSessionServiceOptions;
}

export class ServiceSuite {
  #db: TestDatabase | undefined;
  #clock: ManualClock | undefined;
  #app: string | undefined;
  readonly #services: PostgresSessionService[] = [];
  readonly #options: ServiceSuiteOptions;

  constructor(open: () => Promise<TestDatabase>, options: ServiceSuiteOptions) {
    this.#options = options;
    beforeAll(async () => {
      this.#db = await open();
      // Creates the tables once; the services of the cases verify them.
      await (await PostgresSessionService.create({ ...this.#db.connect })).close();
    });
    afterAll(async () => {
      await Promise.all(this.#services.map((s) => s.close()));
      await this.#db?.close();
    });
  }

  /** The database, open from beforeAll on. */
  get db(): TestDatabase {
    return required(this.#db, 'db');
  }

  /** The clock of the latest service. */
  get clock(): ManualClock {
    return required(this.#clock, 'clock');
  }

  /** The app name of the latest service. */
  get app(): string {
    return required(this.#app, 'app');
  }

  /** A service on the suite's database with a new clock and app name, closed at the end. */
  async service(options: PostgresSessionServiceOptions = {}): Promise<PostgresSessionService> {
    this.#clock = new ManualClock(this.#options.start);
    this.#app = `app-${randomUUID()}`;
    const { defaults } = this.#options;
    return this.track(
      await PostgresSessionService.create({
        ...this.db.connect,
        clock: this.#clock,
        ...defaults,
        ...options,
      }),
    );
  }

  /**
   * The latest app's event rows in insertion order: each message's text and whether the row is
   * soft-deleted (for tests that check what a removal did to the rows themselves).
   */
  async eventRows(svc: PostgresSessionService): Promise<{ content: string; deleted: boolean }[]> {
    const { rows } = await this.db.sql.query<{ content: string; deleted: boolean }>(
      `SELECT event->'choices'->0->'message'->>'content' AS content, deleted_at IS NOT NULL AS deleted
       FROM ${svc.tables.sessionEvents.qualified} WHERE app_name = $1 ORDER BY id`,
      [this.app],
    );
    return rows;
  }

  /** Closes a service made elsewhere with the suite's at the end. */
  track(service: PostgresSessionService): PostgresSessionService {
    this.#services.push(service);
    return service;
  }
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`ServiceSuite.${name} is set in beforeAll / by service()`);
  return value;
}
