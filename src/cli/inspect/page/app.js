// The inspector page: a header, a breadcrumb, and one view chosen by the address's hash:
//   #/                          apps
//   #/a/<app>                   the app's users and its state
//   #/a/<app>/u/<user>          the user's sessions and their state
//   #/a/<app>/u/<user>/s/<id>   a session's timeline (?row=<rowId> picks a deleted incarnation)
import { renderApps, renderSessions, renderUsers } from './browse.js';
import { api, h, isolated, link, replace } from './dom.js';
import { renderTimeline } from './timeline.js';

const main = document.getElementById('main');
const crumbs = document.getElementById('crumbs');
const hiddenToggle = document.getElementById('show-hidden');
const database = document.getElementById('database');

/** What every view may use: the server's facts, whether hidden rows are wanted, and a way to stop work on leaving. */
const context = { info: { writable: false }, hidden: false, cleanups: [] };

/** One part of the address, decoded; a broken %-escape (typed or pasted by hand) is said plainly. */
function decodePart(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new Error(`the page address has a broken %-escape in "${part}"`);
  }
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?');
  const parts = path ? path.split('/').map(decodePart) : [];
  const route = { query: new URLSearchParams(query ?? '') };
  for (let i = 0; i + 1 < parts.length; i += 2) {
    if (parts[i] === 'a') route.app = parts[i + 1];
    if (parts[i] === 'u') route.user = parts[i + 1];
    if (parts[i] === 's') route.session = parts[i + 1];
  }
  return route;
}

function breadcrumb(route) {
  const items = [h('a', { href: '#/' }, 'apps')];
  if (route.app !== undefined)
    items.push(' / ', h('a', { href: link(['a', route.app]) }, isolated(route.app)));
  if (route.user !== undefined)
    items.push(' / ', h('a', { href: link(['a', route.app, 'u', route.user]) }, isolated(route.user)));
  if (route.session !== undefined) items.push(' / ', h('span', null, isolated(route.session)));
  replace(crumbs, items);
}

async function render() {
  for (const stop of context.cleanups.splice(0)) stop();
  replace(main, h('p', { class: 'muted' }, 'Loading…'));
  let route = null;
  try {
    // Inside the try: an address that does not parse gets the error view like any other failure.
    route = parseHash();
    breadcrumb(route);
    if (route.session !== undefined) await renderTimeline(main, route, context);
    else if (route.user !== undefined) await renderSessions(main, route, context);
    else if (route.app !== undefined) await renderUsers(main, route, context);
    else await renderApps(main, context);
  } catch (error) {
    if (route === null) breadcrumb({});
    replace(main, h('p', { class: 'error', role: 'alert' }, `Could not load this view: ${error.message}`));
  }
}

async function start() {
  context.hidden = sessionStorage.getItem('show-hidden') === '1';
  hiddenToggle.checked = context.hidden;
  hiddenToggle.addEventListener('change', () => {
    context.hidden = hiddenToggle.checked;
    sessionStorage.setItem('show-hidden', context.hidden ? '1' : '0');
    render();
  });
  try {
    context.info = await api('/api/info');
    replace(database, `${context.info.database} · ${context.info.writable ? 'writes allowed' : 'read-only'}`);
  } catch (error) {
    replace(
      main,
      h('p', { class: 'error', role: 'alert' }, `The inspector did not answer: ${error.message}`),
    );
    return;
  }
  window.addEventListener('hashchange', render);
  await render();
}

start();
