// A session's timeline: the session's facts and state, then its events in order in the middle
// lane, each track's events in a lane of its own, and every summary drawn where its boundary
// falls. Windows of at most a few hundred events load at a time; following a live session polls
// for what was appended since the last event shown.
import { api, h, href, isolated, post, replace, stateTable, statusBadge, when } from './dom.js';
import { eventCard, joinToolCalls, summaryBoundary, trackCard } from './events.js';
import { drawnOrMarked } from './stored.js';

/** How often a followed session is asked for new events. */
const FOLLOW_MS = 1500;
/**
 * Events kept on the page: beyond this, the events at the far end from those just read are let
 * go (and can be loaded again), so no way of reading a long session grows the page without end.
 */
const MAX_LOADED = 2000;
const WINDOW = 200;

/** Milliseconds of an RFC 3339 time with any number of fraction digits. */
function ms(text) {
  if (!text) return Number.NaN;
  return Date.parse(String(text).replace(/(\.\d{3})\d+/, '$1'));
}

function matchesFilter(eventKey, summaryKey) {
  if (!summaryKey) return true;
  const k = String(eventKey ?? '');
  return k === summaryKey || k.startsWith(`${summaryKey}/`);
}

/**
 * Where each summary's boundary falls among the loaded events: after the event its boundary
 * names, or after the last event at or before its cutoff; which events it replaced.
 */
export function placeSummaries(events, summaries) {
  const after = new Map();
  const top = [];
  const coveredBy = new Map();
  for (const s of summaries) {
    const body = s.summary ?? {};
    const cutoff = ms(body.boundary?.cutoff_at ?? body.updated_at);
    const lastId = body.boundary?.last_event_id;
    let at = lastId ? events.findIndex((r) => r.event?.id === lastId) : -1;
    if (at < 0) {
      for (let i = 0; i < events.length; i++) if (ms(events[i].event?.timestamp) <= cutoff) at = i;
    }
    let covered = 0;
    for (let i = 0; i <= at; i++) {
      if (!matchesFilter(events[i].event?.filterKey, s.filterKey)) continue;
      covered++;
      if (!coveredBy.has(i)) coveredBy.set(i, s);
    }
    const placed = { summary: s, covered };
    if (at < 0) top.push(placed);
    else after.set(at, [...(after.get(at) ?? []), placed]);
  }
  return { after, top, coveredBy };
}

/**
 * Trims the loaded events to MAX_LOADED, keeping `keep` ('newest' after reading later events,
 * 'oldest' after reading earlier ones); track events past the kept events' time go with them, and
 * the trimmed end says more can be loaded there. Returns whether anything was let go.
 */
function keepBounded(model, keep) {
  const over = model.events.length - MAX_LOADED;
  if (over <= 0) return false;
  if (keep === 'newest') {
    model.events = model.events.slice(over);
    const cut = model.events[0].createdAt;
    model.trackEvents = model.trackEvents.filter((t) => t.createdAt >= cut);
    model.hasEarlier = true;
  } else {
    model.events = model.events.slice(0, MAX_LOADED);
    const cut = model.events[MAX_LOADED - 1].createdAt;
    model.trackEvents = model.trackEvents.filter((t) => t.createdAt <= cut);
    model.hasLater = true;
  }
  return true;
}

function row(lanes, time, main, lane, laneIndex, kind) {
  const cells = lanes.map((_, i) => h('div', { class: 'lane' }, i === laneIndex ? lane : null));
  return h(
    'div',
    { class: `row ${kind}` },
    h('time', null, time),
    h('div', { class: 'main-lane' }, main),
    cells,
  );
}

function rowsOf(model) {
  const lanes = model.tracks.map((t) => t.track);
  const joins = joinToolCalls(model.events);
  const placed = placeSummaries(model.events, model.summaries);
  const out = [
    h(
      'div',
      { class: 'row lanes-head' },
      h('span', null, 'time (UTC)'),
      h('span', null, 'conversation'),
      lanes.map((l) => h('span', { class: 'lane-name', title: 'track' }, isolated(l))),
    ),
  ];
  const boundary = (p, note) =>
    drawnOrMarked(() => summaryBoundary(p.summary, p.covered, note), p.summary.summary);
  for (const p of placed.top) out.push(boundary(p, 'its boundary is before the loaded events'));
  const items = [
    ...model.events.map((r, i) => ({ at: r.createdAt, kind: 0, i, r })),
    ...model.trackEvents.map((r) => ({ at: r.createdAt, kind: 1, r })),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.kind - b.kind));
  for (const item of items) {
    if (item.kind === 1) {
      out.push(
        row(
          lanes,
          item.r.createdAt.slice(11, 23),
          null,
          drawnOrMarked(() => trackCard(item.r), item.r.event),
          lanes.indexOf(item.r.track),
          'track-row',
        ),
      );
      continue;
    }
    out.push(
      row(
        lanes,
        item.r.createdAt.slice(11, 23),
        drawnOrMarked(() => eventCard(item.r, joins, placed.coveredBy.get(item.i)), item.r.event),
        null,
        -1,
        'event-row',
      ),
    );
    for (const p of placed.after.get(item.i) ?? []) out.push(boundary(p));
  }
  return out;
}

function facts(model) {
  const s = model.session;
  return [
    `created ${when(s.createdAt)}`,
    `updated ${when(s.updatedAt)}`,
    s.expiresAt ? `${s.status === 'expired' ? 'expired' : 'expires'} ${when(s.expiresAt)}` : null,
    s.deletedAt ? `deleted ${when(s.deletedAt)}` : null,
    `${model.totalEvents} event${model.totalEvents === 1 ? '' : 's'} (${model.events.length} loaded)`,
    `${model.tracks.length} track${model.tracks.length === 1 ? '' : 's'}`,
    `${model.summaries.length} summar${model.summaries.length === 1 ? 'y' : 'ies'}`,
  ]
    .filter(Boolean)
    .join(' · ');
}

/** Restore or delete, after the user typed the session id to confirm. */
function writeButton(model, context, rerender) {
  const s = model.session;
  if (!context.info.writable || (s.status !== 'live' && s.status !== 'deleted')) return null;
  const action = s.status === 'deleted' ? 'restore' : 'delete';
  const status = h('span', { class: 'write-status', role: 'status' });
  const button = h(
    'button',
    { type: 'button', class: `write ${action}` },
    action === 'delete' ? 'Delete session…' : 'Restore session…',
  );
  button.addEventListener('click', async () => {
    const typed = prompt(`Type the session id to ${action} it:\n${s.sessionId}`);
    if (typed !== s.sessionId) {
      replace(status, 'Not confirmed: nothing changed.');
      return;
    }
    try {
      await post(`/api/${action}`, {
        appName: s.appName,
        userId: s.userId,
        sessionId: s.sessionId,
        confirm: typed,
      });
      replace(status, action === 'delete' ? 'Deleted (soft delete: restore undoes it).' : 'Restored.');
      await rerender(action === 'delete');
    } catch (error) {
      replace(status, `Failed: ${error.message}`);
    }
  });
  return [button, status];
}

/** The view of one session. */
export async function renderTimeline(main, route, context) {
  const key = { app: route.app, user: route.user, session: route.session };
  const base = () => ({
    ...key,
    row: route.query.get('row') ?? undefined,
    hidden: context.hidden ? '1' : undefined,
  });
  const first = await api('/api/timeline', { ...base(), limit: WINDOW });
  if (first === null) {
    replace(
      main,
      h(
        'p',
        { class: 'error', role: 'alert' },
        `No ${context.hidden ? 'stored' : 'live'} session `,
        isolated(route.session),
        '.',
      ),
      context.hidden
        ? null
        : h(
            'p',
            { class: 'muted' },
            'It may be deleted or expired: tick "show deleted & expired" to see it.',
          ),
    );
    return;
  }
  const model = first;
  const list = h('div', { class: 'timeline' });
  const factsLine = h('p', { class: 'facts' });
  const liveNote = h('span', { class: 'live-note muted', role: 'status' });
  const follow = h('input', { type: 'checkbox', id: 'follow', checked: !model.hasLater });

  const draw = () => {
    list.style.setProperty('--lanes', String(model.tracks.length));
    const earlier = model.hasEarlier
      ? h('button', { type: 'button', class: 'more', onclick: () => loadEarlier() }, 'Load earlier events')
      : null;
    const later = model.hasLater
      ? h('button', { type: 'button', class: 'more', onclick: () => loadLater() }, 'Load later events')
      : null;
    replace(list, earlier, rowsOf(model), later);
    replace(factsLine, facts(model));
    follow.disabled = model.hasLater;
  };
  const loadEarlier = async () => {
    const w = await api('/api/timeline', { ...base(), before: model.events[0]?.cursor, limit: WINDOW });
    if (!w) return;
    model.events = [...w.events, ...model.events];
    model.trackEvents = mergeTracks(w.trackEvents, model.trackEvents);
    model.hasEarlier = w.hasEarlier;
    if (keepBounded(model, 'oldest')) {
      // Following reads on from the last loaded event, which is no longer the session's last: it
      // would bring the newest back and let these earlier ones go again.
      follow.checked = false;
      replace(liveNote, '');
    }
    draw();
  };
  const loadLater = async () => {
    const last = model.events[model.events.length - 1];
    const w = await api('/api/timeline', { ...base(), after: last?.cursor, limit: WINDOW });
    if (w) absorb(w);
  };
  // Appends a window read after the last loaded event; keeps the page bounded.
  const absorb = (w) => {
    const summariesChanged = JSON.stringify(w.summaries) !== JSON.stringify(model.summaries);
    const tracksChanged = JSON.stringify(w.tracks) !== JSON.stringify(model.tracks);
    if (w.events.length === 0 && w.trackEvents.length === 0 && !summariesChanged && !tracksChanged)
      return false;
    model.events.push(...w.events);
    model.trackEvents = mergeTracks(model.trackEvents, w.trackEvents);
    Object.assign(model, {
      summaries: w.summaries,
      tracks: w.tracks,
      totalEvents: w.totalEvents,
      session: w.session,
      hasLater: w.hasLater,
    });
    keepBounded(model, 'newest');
    draw();
    return true;
  };

  let timer = null;
  let stopped = false;
  const poll = async () => {
    timer = null;
    if (stopped || !follow.checked) return;
    try {
      const last = model.events[model.events.length - 1];
      const lastTrack = model.trackEvents[model.trackEvents.length - 1];
      const w = await api('/api/timeline', {
        ...base(),
        after: last?.cursor,
        from: last ? undefined : 'start',
        // Without a track event yet: those after the last event's time.
        trackAfter: lastTrack?.cursor ?? (last ? `${last.cursor.split('|')[0]}|0` : undefined),
        limit: WINDOW,
      });
      if (stopped) return;
      if (w === null) {
        replace(liveNote, 'The session is gone (deleted or expired).');
        return;
      }
      if (absorb(w)) {
        replace(liveNote, `new events at ${new Date().toISOString().slice(11, 19)} UTC`);
        list.lastElementChild?.scrollIntoView?.({ block: 'end' });
      }
      timer = setTimeout(poll, w.hasLater ? 100 : FOLLOW_MS);
    } catch (error) {
      replace(liveNote, `following paused: ${error.message}`);
      timer = setTimeout(poll, FOLLOW_MS * 4);
    }
  };
  follow.addEventListener('change', () => {
    if (follow.checked && timer === null) poll();
    replace(liveNote, follow.checked ? 'following' : '');
  });
  context.cleanups.push(() => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
  });

  const s = model.session;
  const dl = { ...key, hidden: context.hidden ? '1' : undefined };
  const rerender = async (deleted) => {
    if (deleted && !context.hidden) return;
    const again = await api('/api/timeline', { ...base(), limit: WINDOW });
    if (again) Object.assign(model, again);
    draw();
  };
  replace(
    main,
    h('h2', null, 'Session ', h('code', null, isolated(s.sessionId)), ' ', statusBadge(s.status)),
    factsLine,
    h(
      'div',
      { class: 'actions' },
      h('a', { class: 'button', href: href('/api/export', dl), download: '' }, 'Export JSON'),
      h('a', { class: 'button', href: href('/api/transcript', dl), download: '' }, 'Transcript'),
      h('label', { class: 'toggle' }, follow, ' follow live'),
      liveNote,
      writeButton(model, context, rerender),
    ),
    s.stateProblem ? h('p', { class: 'error' }, s.stateProblem) : null,
    stateTable(
      'Session state',
      Object.entries(s.state).map(([k, v]) => ({ key: k, value: v, status: 'live' })),
    ),
    model.trackEventsTruncated
      ? h('p', { class: 'muted' }, 'Only the newest track events of this window are shown.')
      : null,
    list,
  );
  draw();
  if (follow.checked) {
    replace(liveNote, 'following');
    timer = setTimeout(poll, FOLLOW_MS);
  }
}

/** Track events of two windows in order, each once. */
function mergeTracks(a, b) {
  const seen = new Set(a.map((t) => t.cursor));
  return [...a, ...b.filter((t) => !seen.has(t.cursor))].sort((x, y) =>
    x.createdAt < y.createdAt ? -1 : x.createdAt > y.createdAt ? 1 : 0,
  );
}
