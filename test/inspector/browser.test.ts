/**
 * The inspector page in a real browser (Debian's Chromium driven by playwright-core), on PGlite
 * and server PostgreSQL: navigating apps → users → sessions, a timeline with a tool call joined
 * to its result, a summary at its boundary and a track lane, a live append appearing, hostile
 * text shown as text, hidden rows on request, long sessions a window at a time, the token and
 * the read-only rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Inspector, type InspectorOptions, startInspector } from '../../src/cli/inspect/server.js';
import { tableNames } from '../../src/postgres/schema/index.js';
import { createEvent } from '../../src/session/event.js';
import { type TestDatabase, testDatabases } from '../support/database.js';
import {
  APP_NAME,
  HOSTILE,
  HOSTILE_USER,
  HUGE_EVENTS,
  HUGE_USER,
  LONG_EVENTS,
  LONG_USER,
  MALFORMED_SESSION,
  MALFORMED_USER,
  type Seeded,
  seed,
  seedBulkSession,
  seedHugeSession,
  seedMalformedSession,
  USER_ID,
  WELL_FORMED_TEXT,
} from './seed.js';
import { hasChromium, launchChromium } from './support.js';

type Browser = Awaited<ReturnType<typeof launchChromium>>;
type Page = Awaited<ReturnType<Browser['newPage']>>;

const sessionHash = (user: string, session: string, query = '') =>
  `#/a/${encodeURIComponent(APP_NAME)}/u/${encodeURIComponent(user)}/s/${encodeURIComponent(session)}${query}`;

describe.skipIf(!hasChromium).each(testDatabases)('the inspector page in Chromium (%s)', (_name, open) => {
  let db: TestDatabase;
  let seeded: Seeded;
  let browser: Browser;
  let inspector: Inspector;
  const running: Inspector[] = [];
  const start = async (options: Partial<InspectorOptions> = {}) => {
    const started = await startInspector({
      client: db.sql,
      tables: tableNames(db.schema ?? '', ''),
      label: 'test database',
      allowWrites: false,
      ...options,
    });
    running.push(started);
    return started;
  };
  /** A new page that fails the test on any script error or CSP violation. */
  const newPage = async (): Promise<{ page: Page; problems: string[] }> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    return { page, problems };
  };

  beforeAll(async () => {
    db = await open();
    seeded = await seed(db);
    browser = await launchChromium();
    inspector = await start();
  }, 180_000);
  afterAll(async () => {
    for (const i of running) await i.close();
    await browser?.close();
    await seeded?.service.close();
    await db?.close();
  });

  it('navigates from the apps to a session with its tool call, result, summary and track lane', async () => {
    const { page, problems } = await newPage();
    await page.goto(inspector.url);
    await page.getByRole('link', { name: APP_NAME, exact: true }).click();
    await expect.poll(() => page.locator('h2').textContent()).toContain('Users of');
    await expect.poll(() => page.locator('.state').textContent()).toContain('demo_runs');
    await page.getByRole('link', { name: USER_ID, exact: true }).click();
    await expect.poll(() => page.locator('h2').textContent()).toContain('Sessions of');
    expect(await page.locator('.state').textContent()).toContain('metric');
    await page.getByRole('link', { name: seeded.demo.id }).click();

    const call = page.locator('.tool-call');
    await call.waitFor();
    expect(await call.locator('.call-head').first().textContent()).toContain('get_weather');
    expect(await call.locator('.call-args').textContent()).toContain('"city": "Lisbon"');
    expect(await call.locator('.call-result').textContent()).toContain('partly cloudy');
    expect(await page.locator('.tool-result-ref').textContent()).toContain('shown with its call');
    expect(await page.locator('.event').count()).toBe(8);
    const boundary = page.locator('.summary-boundary');
    expect(await boundary.textContent()).toContain('replaces 8 loaded events above');
    // The boundary comes after the last event it replaced.
    expect(await page.locator('.event-row + .summary-boundary').count()).toBe(1);
    expect(await page.locator('.lane-name').allTextContents()).toEqual(['tool-calls']);
    expect(await page.locator('.track-event').textContent()).toContain('latency_ms');
    expect(await page.locator('.delta').first().textContent()).toContain('trip_city');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('follows a live session: an appended event appears without reloading', async () => {
    const { page, problems } = await newPage();
    await page.goto(`${inspector.url}${sessionHash(USER_ID, seeded.demo.id)}`);
    await page.locator('.event').first().waitFor();
    expect(await page.locator('#follow').isChecked()).toBe(true);
    const text = `appended while watching ${Date.now()}`;
    await seeded.service.appendEvent(
      seeded.demo,
      createEvent({
        author: 'travel-agent',
        done: true,
        message: { role: 'assistant', content: text },
        usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 },
      }),
    );
    await seeded.service.appendTrackEvent(seeded.demo, {
      track: 'tool-calls',
      payload: { tool: 'live', ok: true },
      timestamp: new Date(),
    });
    const appended = page.locator('.event', { hasText: text });
    await appended.waitFor({ timeout: 20_000 });
    expect(await appended.locator('.usage').textContent()).toBe('tokens: in 120 · out 30 · total 150');
    await page.locator('.track-event', { hasText: '"live"' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('.event').count()).toBe(9);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows hostile content as text: nothing in it runs or becomes markup', async () => {
    const { page, problems } = await newPage();
    await page.goto(`${inspector.url}${sessionHash(HOSTILE_USER, seeded.hostile.id)}`);
    await page.locator('.event').first().waitFor();
    const body = (await page.locator('main').textContent()) ?? '';
    expect(body).toContain(HOSTILE);
    expect(body).toContain(`author${HOSTILE}`);
    expect(body).toContain(`lane${HOSTILE}`);
    expect(await page.locator('h2 code').textContent()).toBe('hostile-<i>session</i>');
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('main img, main script, main i, main b').count()).toBe(0);

    await page.goto(`${inspector.url}#/a/${APP_NAME}`);
    await page.getByRole('link', { name: HOSTILE_USER }).waitFor();
    expect(await page.locator('main b').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows a session of malformed rows: each broken part marked, the rest readable and usable', async () => {
    await seedMalformedSession(db, seeded.service);
    const { page, problems } = await newPage();
    await page.goto(`${inspector.url}${sessionHash(MALFORMED_USER, MALFORMED_SESSION)}`);
    // Whichever comes: the timeline, or the alert that replaces the whole view.
    await page.locator('.event, main [role=alert]').first().waitFor();
    expect(await page.locator('main').textContent()).not.toContain('Could not load this view');
    expect(await page.locator('.event').count()).toBe(6);
    expect(await page.locator('.event', { hasText: WELL_FORMED_TEXT }).count()).toBe(1);
    expect(await page.locator('.event', { hasText: 'parts as an object' }).count()).toBe(1);
    expect(await page.locator('.event', { hasText: 'from a delta' }).count()).toBe(1);
    expect(await page.locator('.event', { hasText: 'an error written as text' }).count()).toBe(1);
    const marks = await page.locator('.malformed').allTextContents();
    for (const expected of [
      'malformed: choices is not a list: {"0":{"message"',
      'malformed: content_parts is not a list: {"a":1}',
      'malformed: tool_calls is not a list: {"id":"x"}',
      'malformed: the stored event is not an object: 42',
      'malformed: stateDelta is not an object: "not an object"',
      'malformed: topics is not a list: "not a list"',
      'malformed: the stored track event is not an object: "a string"',
    ]) {
      expect(
        marks.some((m) => m.startsWith(expected)),
        `${expected} in ${JSON.stringify(marks)}`,
      ).toBe(true);
    }
    expect(await page.locator('.summary-boundary').textContent()).toContain('what happened');
    // The session's header and actions are still there.
    expect(await page.locator('h2 code').textContent()).toBe(MALFORMED_SESSION);
    expect(await page.getByRole('link', { name: 'Export JSON' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Transcript' }).count()).toBe(1);
    expect(await page.locator('.state h3').textContent()).toBe('Session state');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('isolates each name, so a right-to-left override in one does not reverse the names after it', async () => {
    const RLO = '\u202E';
    const key = { appName: `shop${RLO}`, userId: `alice${RLO}`, sessionId: `invoice${RLO}-2024` };
    const session = await seeded.service.createSession(key);
    await seeded.service.appendEvent(
      session,
      createEvent({
        author: 'agent',
        done: true,
        message: {
          role: 'assistant',
          content: '',
          tool_calls: [
            { type: 'function', id: 'call-after-name', function: { name: `lookup${RLO}`, arguments: '{}' } },
          ],
        },
      }),
    );
    const { page, problems } = await newPage();
    /** The left edges of the elements, in document order: increasing when they read left to right. */
    const lefts = (selector: string) =>
      page
        .locator(selector)
        .evaluateAll((els) => els.map((el) => Math.round(el.getBoundingClientRect().left)));
    const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!);
    /**
     * The left edges of the first and the last letter of each element's text. A name's override
     * that leaks reverses the text after it, so its first letter lands right of its last.
     */
    const letterEdges = (selector: string) =>
      page.locator(selector).evaluateAll((els) =>
        els.map((el) => {
          const text = el.textContent ?? '';
          const letters = [...text.matchAll(/[a-z]/g)].map((m) => m.index);
          const edge = (at: number) => {
            const walker = el.ownerDocument.createTreeWalker(
              el,
              4 /* NodeFilter.SHOW_TEXT: no DOM types here */,
            );
            for (let node = walker.nextNode(), start = 0; node; node = walker.nextNode()) {
              const length = node.textContent?.length ?? 0;
              if (at < start + length) {
                const range = el.ownerDocument.createRange();
                range.setStart(node, at - start);
                range.setEnd(node, at - start + 1);
                return Math.round(range.getBoundingClientRect().left);
              }
              start += length;
            }
            return Number.NaN;
          };
          return [edge(letters[0]!), edge(letters[letters.length - 1]!)];
        }),
      );

    const [app, user, id] = [key.appName, key.userId, key.sessionId].map(encodeURIComponent);
    await page.goto(`${inspector.url}#/a/${app}/u/${user}/s/${id}`);
    await page.locator('.event').first().waitFor();
    const crumbs = await lefts('#crumbs > a, #crumbs > span');
    expect(crumbs).toHaveLength(4);
    expect(increasing(crumbs), `breadcrumb left edges ${crumbs}`).toBe(true);
    const [callId] = await letterEdges('.call-head strong + .muted');
    expect(increasing(callId!), `the call id after the tool's name reads left to right ${callId}`).toBe(true);

    await page.goto(`${inspector.url}#/a/${app}/u/${user}`);
    await page.locator('tbody a').first().waitFor();
    const [appInHeading] = await letterEdges('h2 code:last-child');
    expect(increasing(appInHeading!), `the app after the user reads left to right ${appInHeading}`).toBe(
      true,
    );
    expect(problems).toEqual([]);
    await page.close();
  });

  /** Types an address into the open page: a hashchange, no reload. */
  const setHash = (page: Page, hash: string) =>
    page.evaluate((h) => {
      (globalThis as unknown as { location: { hash: string } }).location.hash = h;
    }, hash);

  it('shows the error view for an address with a broken %-escape, and recovers on the next one', async () => {
    const { page, problems } = await newPage();
    const alert = page.locator('main [role=alert]');
    await page.goto(`${inspector.url}#/a/%E0%A4%A`);
    await expect
      .poll(() => alert.textContent())
      .toBe('Could not load this view: the page address has a broken %-escape in "%E0%A4%A"');
    expect(await page.locator('#crumbs').textContent()).toBe('apps');

    await setHash(page, '#/a/x/u/%');
    await expect
      .poll(() => alert.textContent())
      .toBe('Could not load this view: the page address has a broken %-escape in "%"');
    expect(await page.locator('#crumbs').textContent()).toBe('apps');

    await setHash(page, '#/');
    await page.getByRole('link', { name: APP_NAME, exact: true }).waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('reads a long session a window at a time', async () => {
    const { page } = await newPage();
    await page.goto(`${inspector.url}${sessionHash(LONG_USER, seeded.long.id)}`);
    await page.locator('.event').first().waitFor();
    expect(await page.locator('.event').count()).toBe(200);
    expect(await page.locator('.facts').textContent()).toContain(`${LONG_EVENTS} events (200 loaded)`);
    expect(await page.locator('.event').last().textContent()).toContain(`message ${LONG_EVENTS}`);
    await page.getByRole('button', { name: 'Load earlier events' }).click();
    await expect.poll(() => page.locator('.event').count()).toBe(400);
    expect(await page.locator('.event').first().textContent()).toContain(`message ${LONG_EVENTS - 399}`);
    await page.close();
  });

  it('keeps at most 2,000 events on the page when loading earlier ones, letting the newest go', async () => {
    const events = 2300;
    await seedBulkSession(db, seeded.service, 'bounded-reader', 'bounded', events);
    const { page, problems } = await newPage();
    await page.goto(`${inspector.url}${sessionHash('bounded-reader', 'bounded')}`);
    await page.locator('.event').first().waitFor();
    /** `message <n>` and not the start of a longer number. */
    const message = (n: number) => new RegExp(`message ${n}(?!\\d)`);
    const first = () => page.locator('.event').first().textContent();
    const last = () => page.locator('.event').last().textContent();
    // Ten windows of 200 before the first 200: the tenth goes past the bound.
    for (let window = 1; window <= 10; window++) {
      await page.getByRole('button', { name: 'Load earlier events' }).click();
      await expect.poll(first).toMatch(message(events - 200 * (window + 1) + 1));
    }
    expect(await page.locator('.event').count()).toBe(2000);
    expect(await last()).toMatch(message(events - 200));
    expect(await page.locator('.facts').textContent()).toContain(`${events} events (2000 loaded)`);
    expect(await page.locator('#follow').isChecked()).toBe(false);
    expect(await page.locator('#follow').isDisabled()).toBe(true);

    // The newest come back on request, and the oldest go.
    await page.getByRole('button', { name: 'Load later events' }).click();
    await expect.poll(last).toMatch(message(events));
    expect(await page.locator('.event').count()).toBe(2000);
    expect(await first()).toMatch(message(events - 1999));
    expect(await page.getByRole('button', { name: 'Load later events' }).count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it('opens a 100,000-event session with one window of events on the page', async () => {
    await seedHugeSession(db, seeded.service);
    const { page, problems } = await newPage();
    await page.goto(`${inspector.url}${sessionHash(HUGE_USER, 'huge')}`);
    await page.locator('.event').first().waitFor();
    expect(await page.locator('.event').count()).toBe(200);
    expect(await page.locator('.facts').textContent()).toContain(`${HUGE_EVENTS} events (200 loaded)`);
    expect(await page.locator('.event').last().textContent()).toContain(`message ${HUGE_EVENTS}`);
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it('shows deleted and expired sessions only when asked, marked', async () => {
    const { page } = await newPage();
    await page.goto(`${inspector.url}#/a/${APP_NAME}/u/${USER_ID}`);
    await page.getByRole('link', { name: seeded.demo.id }).waitFor();
    expect(await page.getByRole('link', { name: seeded.deletedId }).count()).toBe(0);
    await page.locator('#show-hidden').check();
    const deleted = page.locator('tr', { hasText: seeded.deletedId });
    await deleted.waitFor();
    expect(await deleted.locator('.badge').textContent()).toBe('deleted');
    expect(await page.locator('tr', { hasText: seeded.expiredId }).locator('.badge').textContent()).toBe(
      'expired',
    );
    await deleted.getByRole('link').click();
    await page.locator('.event').first().waitFor();
    expect(await page.locator('h2 .badge').textContent()).toBe('deleted');
    expect(await page.locator('.event .badge.deleted').count()).toBe(1);
    await page.close();
  });

  it('needs the printed token when exposed, and offers no writes when read-only', async () => {
    const exposed = await start({ host: '0.0.0.0', expose: true });
    const { page, problems } = await newPage();
    const base = `http://127.0.0.1:${exposed.port}/`;
    const refused = await page.goto(base);
    expect(refused?.status()).toBe(401);
    expect(await page.content()).not.toContain(APP_NAME);
    await page.goto(`${base}?token=${exposed.token}`);
    expect(page.url()).toBe(base);
    await page.getByRole('link', { name: APP_NAME, exact: true }).waitFor();
    expect(await page.locator('#database').textContent()).toContain('read-only');
    await page.goto(`${base}${sessionHash(USER_ID, seeded.demo.id)}`);
    await page.locator('.event').first().waitFor();
    expect(await page.locator('button.write').count()).toBe(0);
    expect(
      await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie),
    ).toBe('');
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    await page.close();
  });

  it('with writes allowed, deletes a session only after the id is typed to confirm', async () => {
    const writable = await start({ allowWrites: true });
    const target = await seeded.service.createSession({
      appName: APP_NAME,
      userId: 'writer',
      sessionId: 'delete-me',
    });
    const key = { appName: APP_NAME, userId: 'writer', sessionId: target.id };
    const { page } = await newPage();
    await page.goto(`${writable.url}${sessionHash('writer', target.id)}`);
    const button = page.getByRole('button', { name: 'Delete session…' });
    await button.waitFor();

    page.once('dialog', (d) => d.accept('not the id'));
    await button.click();
    await page.getByText('Not confirmed: nothing changed.').waitFor();
    expect(await seeded.service.getSession(key)).not.toBeNull();

    page.once('dialog', (d) => d.accept(target.id));
    await button.click();
    await page.getByText('Deleted (soft delete: restore undoes it).').waitFor();
    expect(await seeded.service.getSession(key)).toBeNull();
    await page.close();
  });
});
