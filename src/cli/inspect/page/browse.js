// The browsing views: apps, the users of an app (with the app's state), the sessions of a user
// (filtered, sorted, paged, with the user's state).
import { api, h, isolated, link, replace, stateTable, statusBadge, table, when } from './dom.js';

const hiddenParam = (context) => (context.hidden ? '1' : undefined);

function more(label, onclick) {
  return h('button', { type: 'button', class: 'more', onclick }, label);
}

/** How many more apps or users "Show more" asks for. */
const STEP = 50;

/** Apps, most recently updated first. */
export async function renderApps(main, context) {
  const body = h('div');
  const load = async (limit) => {
    const page = await api('/api/apps', { hidden: hiddenParam(context), limit });
    replace(
      body,
      page.rows.length === 0
        ? h(
            'p',
            { class: 'muted' },
            'No sessions yet. Run the demo (npm start) or point an agent at this database.',
          )
        : table(
            [
              { title: 'app', cell: (r) => h('a', { href: link(['a', r.appName]) }, isolated(r.appName)) },
              { title: 'users', cell: (r) => r.users, class: 'num' },
              { title: 'sessions', cell: (r) => r.sessions, class: 'num' },
              { title: 'events', cell: (r) => r.events, class: 'num' },
              { title: 'last update (UTC)', cell: (r) => when(r.lastUpdate) },
            ],
            page.rows,
          ),
      page.rows.length < page.total
        ? more(`Show more (${page.total - page.rows.length} left)`, () => load(limit + STEP))
        : null,
    );
  };
  await load(STEP);
  replace(main, h('h2', null, 'Apps'), body);
}

/** The users of an app, and the app's state. */
export async function renderUsers(main, route, context) {
  const body = h('div');
  const state = h('div');
  const load = async (limit) => {
    const page = await api('/api/users', { app: route.app, hidden: hiddenParam(context), limit });
    replace(state, stateTable('App state (app:)', page.appState));
    replace(
      body,
      table(
        [
          {
            title: 'user',
            cell: (r) => h('a', { href: link(['a', route.app, 'u', r.userId]) }, isolated(r.userId)),
          },
          { title: 'sessions', cell: (r) => r.sessions, class: 'num' },
          { title: 'events', cell: (r) => r.events, class: 'num' },
          { title: 'last update (UTC)', cell: (r) => when(r.lastUpdate) },
        ],
        page.rows,
      ),
      page.rows.length < page.total
        ? more(`Show more (${page.total - page.rows.length} left)`, () => load(limit + STEP))
        : null,
    );
  };
  await load(STEP);
  replace(
    main,
    h('h2', null, 'Users of ', h('code', null, isolated(route.app))),
    h('div', { class: 'split' }, body, state),
  );
}

function filterForm(route, onchange) {
  const q = route.query;
  const field = (name, label, attrs) =>
    h('label', null, label, h('input', { name, value: q.get(name) ?? '', ...attrs }));
  const order = h(
    'select',
    { name: 'order' },
    h('option', { value: 'newest', selected: q.get('order') !== 'oldest' }, 'newest first'),
    h('option', { value: 'oldest', selected: q.get('order') === 'oldest' }, 'oldest first'),
  );
  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    field('prefix', 'id starts with', { placeholder: 'e.g. 3f2a', size: 14 }),
    field('from', 'updated from', { placeholder: '2026-01-02 or …T03:04Z', size: 20 }),
    field('to', 'updated before', { placeholder: '2026-01-03', size: 20 }),
    h('label', null, 'order', order),
    h('button', { type: 'submit' }, 'Apply'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const values = {};
    for (const [k, v] of new FormData(form)) if (v) values[k] = v;
    onchange(values);
  });
  return form;
}

/** The sessions of a user, a page at a time, and the user's state. */
export async function renderSessions(main, route, context) {
  const q = route.query;
  const rows = [];
  const body = h('div');
  const state = h('div');
  const count = h('p', { class: 'muted' });
  const load = async (cursor) => {
    const page = await api('/api/sessions', {
      app: route.app,
      user: route.user,
      hidden: hiddenParam(context),
      prefix: q.get('prefix'),
      from: q.get('from'),
      to: q.get('to'),
      order: q.get('order'),
      cursor,
      limit: 50,
    });
    rows.push(...page.rows);
    if (!cursor) replace(state, stateTable('User state (user:)', page.userState));
    replace(
      count,
      `${page.total} session${page.total === 1 ? '' : 's'}${rows.length < page.total ? `, ${rows.length} shown` : ''}`,
    );
    replace(
      body,
      table(
        [
          {
            title: 'session',
            cell: (r) =>
              h(
                'a',
                {
                  href: link(
                    ['a', route.app, 'u', route.user, 's', r.sessionId],
                    r.status === 'live' ? null : { row: r.rowId },
                  ),
                },
                isolated(r.sessionId),
              ),
          },
          { title: '', cell: (r) => statusBadge(r.status) },
          { title: 'events', cell: (r) => r.events, class: 'num' },
          {
            title: 'tracks',
            cell: (r) => (r.tracks ? `${r.tracks} (${r.trackEvents} events)` : '0'),
            class: 'num',
          },
          { title: 'summaries', cell: (r) => r.summaries, class: 'num' },
          { title: 'created (UTC)', cell: (r) => when(r.createdAt) },
          { title: 'updated (UTC)', cell: (r) => when(r.updatedAt) },
        ],
        rows,
        (r) => ({ class: r.status !== 'live' ? 'hidden-row' : undefined }),
      ),
      page.next ? more('Show more', () => load(page.next)) : null,
    );
  };
  await load(undefined);
  const form = filterForm(route, (values) => {
    location.hash = link(['a', route.app, 'u', route.user], values);
  });
  replace(
    main,
    h(
      'h2',
      null,
      'Sessions of ',
      h('code', null, isolated(route.user)),
      ' in ',
      h('code', null, isolated(route.app)),
    ),
    form,
    count,
    h('div', { class: 'split' }, body, state),
  );
}
