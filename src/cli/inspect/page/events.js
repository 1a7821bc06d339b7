// How one stored event reads: who wrote it and when, its text, tool calls with their arguments
// and the results joined to them, state deltas, errors and token usage; the full stored JSON on
// demand. Track events and summary boundaries are drawn here too.
import { clock, folded, h, isolated, prettyJson, stateValue, statusBadge } from './dom.js';
import { isObject, items, malformed, textOf, unlessList, unlessObject } from './stored.js';

/** The messages of an event: each choice's message, or its delta when the message is empty. */
export function messagesOf(event) {
  const out = [];
  for (const choice of items(event?.choices)) {
    const m = choice?.message;
    const useDelta = (!m || (!m.role && !m.content && !m.tool_calls)) && choice?.delta;
    if (useDelta) out.push(choice.delta);
    else if (m) out.push(m);
  }
  return out;
}

/** Calls and results of the loaded events, by call id: how a call finds its result and back. */
export function joinToolCalls(rows) {
  const calls = new Map();
  const results = new Map();
  for (const row of rows) {
    for (const m of messagesOf(row.event)) {
      for (const call of items(m?.tool_calls)) if (call?.id) calls.set(call.id, { row, call });
      if (m?.tool_id) results.set(m.tool_id, { row, message: m });
    }
  }
  return { calls, results };
}

function partText(part) {
  if (part?.text) return part.text;
  if (part?.image) return `[image${part.image?.url ? ` ${part.image.url}` : ''}]`;
  if (part?.file) return `[file ${part.file.filename || part.file.file_id || ''}]`;
  if (part?.content_ref) return `[${part.content_ref.artifact_name || part.content_ref.artifact_ref}]`;
  return `[${part?.type ?? 'part'}]`;
}

function messageText(m) {
  return [textOf(m?.content), ...items(m?.content_parts).map(partText)].filter(Boolean).join('\n');
}

function usageLine(usage) {
  if (!usage || (!usage.total_tokens && !usage.prompt_tokens && !usage.completion_tokens)) return null;
  const parts = [
    `in ${usage.prompt_tokens ?? 0}`,
    `out ${usage.completion_tokens ?? 0}`,
    `total ${usage.total_tokens ?? 0}`,
  ];
  const cached = usage.prompt_tokens_details?.cached_tokens;
  if (cached) parts.push(`cached ${cached}`);
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  if (reasoning) parts.push(`reasoning ${reasoning}`);
  return h('span', { class: 'usage', title: 'token usage' }, `tokens: ${parts.join(' · ')}`);
}

function toolCall(call, joins) {
  if (!isObject(call)) return malformed('a tool call is not an object', call);
  const result = call.id ? joins.results.get(call.id) : undefined;
  return h(
    'div',
    { class: 'tool-call' },
    h(
      'div',
      { class: 'call-head' },
      '→ ',
      h('strong', null, isolated(textOf(call.function?.name) || '(unnamed tool)')),
      h('span', { class: 'muted' }, ' ', isolated(textOf(call.id))),
    ),
    folded(prettyJson(call.function?.arguments ?? ''), 'call-args'),
    result
      ? h(
          'div',
          { class: 'call-result' },
          h(
            'div',
            { class: 'call-head' },
            '← result',
            h('span', { class: 'muted' }, ` at ${clock(result.row.createdAt)}`),
          ),
          folded(prettyJson(messageText(result.message)), 'result-text'),
        )
      : h('div', { class: 'call-result missing muted' }, 'no result among the loaded events'),
  );
}

function messageBody(m, joins) {
  if (!isObject(m)) return malformed('a message is not an object', m);
  const out = [];
  if (m.reasoning_content) {
    out.push(
      h(
        'div',
        { class: 'reasoning' },
        h('span', { class: 'label' }, 'reasoning'),
        folded(m.reasoning_content),
      ),
    );
  }
  if (m.tool_id) {
    const call = joins.calls.get(m.tool_id);
    if (call) {
      out.push(
        h(
          'div',
          { class: 'tool-result-ref muted' },
          '← result of ',
          isolated(textOf(m.tool_name || call.call.function?.name) || 'a tool'),
          ' (',
          isolated(textOf(m.tool_id)),
          `), shown with its call at ${clock(call.row.createdAt)}`,
        ),
      );
      return out;
    }
    out.push(
      h(
        'div',
        { class: 'call-head' },
        '← result of ',
        isolated(textOf(m.tool_name) || 'a tool'),
        ' (',
        isolated(textOf(m.tool_id)),
        ')',
      ),
    );
  }
  const text = messageText(m);
  if (text) out.push(folded(m.tool_id ? prettyJson(text) : text));
  out.push(unlessList('content_parts', m.content_parts));
  for (const call of items(m.tool_calls)) out.push(toolCall(call, joins));
  out.push(unlessList('tool_calls', m.tool_calls));
  return out;
}

function stateDelta(delta) {
  if (!isObject(delta)) return unlessObject('stateDelta', delta);
  const entries = Object.entries(delta);
  if (entries.length === 0) return null;
  return h(
    'div',
    { class: 'delta' },
    h('span', { class: 'label' }, 'state Δ'),
    h(
      'dl',
      null,
      entries.map(([k, v]) => {
        const value = stateValue(v);
        return [
          h('dt', null, k),
          h(
            'dd',
            null,
            value === null ? h('span', { class: 'muted' }, 'deleted (null)') : folded(value, 'value'),
          ),
        ];
      }),
    ),
  );
}

/** An event's error: an object of type, code and message (text written by hand is shown as it is). */
function errorLine(error) {
  if (!error) return null;
  const text = isObject(error)
    ? `${textOf(error.type) || 'error'}${error.code ? ` (${textOf(error.code)})` : ''}: ${textOf(error.message)}`
    : `error: ${textOf(error)}`;
  return h('div', { class: 'error' }, text);
}

/** The card of one stored event. `summary` names the summary that replaced it, if any. */
export function eventCard(row, joins, summary) {
  const stored = row.event;
  const e = isObject(stored) ? stored : {};
  const messages = messagesOf(e);
  const role = messages[0]?.role || (e.error ? 'error' : 'event');
  const classes = ['event', `role-${String(role).replace(/[^a-z]/gi, '')}`];
  if (row.status !== 'live') classes.push('hidden-row');
  if (summary) classes.push('summarized');
  return h(
    'article',
    { class: classes.join(' '), 'data-event-id': e.id ?? '' },
    h(
      'header',
      null,
      h('span', { class: 'role' }, role),
      h('span', { class: 'author' }, isolated(textOf(e.author))),
      e.model ? h('span', { class: 'muted' }, isolated(textOf(e.model))) : null,
      usageLine(e.usage),
      statusBadge(row.status),
      summary
        ? h(
            'span',
            { class: 'badge summarized', title: 'replaced by this summary for readers of the summary' },
            'in summary',
            summary.filterKey ? [' ', isolated(summary.filterKey)] : null,
          )
        : null,
      e.is_partial ? h('span', { class: 'badge' }, 'partial') : null,
      e.branch ? h('span', { class: 'muted', title: 'branch' }, isolated(textOf(e.branch))) : null,
      e.filterKey
        ? h('span', { class: 'muted', title: 'filter key' }, 'filter ', isolated(textOf(e.filterKey)))
        : null,
    ),
    isObject(stored) ? null : malformed('the stored event is not an object', stored),
    errorLine(e.error),
    unlessList('choices', e.choices),
    messages.map((m) => messageBody(m, joins)),
    stateDelta(e.stateDelta),
    h(
      'details',
      { class: 'raw' },
      h('summary', null, 'stored JSON'),
      h(
        'p',
        { class: 'muted' },
        `event ${e.id ?? ''} · invocation ${e.invocationId ?? ''} · timestamp ${e.timestamp ?? ''}`,
      ),
      h('pre', null, JSON.stringify(stored, null, 2)),
    ),
  );
}

/** The card of one track event, for its lane. */
export function trackCard(row) {
  const payload = isObject(row.event) ? row.event.payload : undefined;
  return h(
    'div',
    { class: `track-event${row.status !== 'live' ? ' hidden-row' : ''}` },
    h('span', { class: 'muted' }, isolated(row.track), ' ', statusBadge(row.status)),
    unlessObject('the stored track event', row.event),
    folded(payload === undefined ? 'null' : JSON.stringify(payload, null, 2), 'payload'),
  );
}

/** The line drawn where a summary's boundary falls. */
export function summaryBoundary(s, covered, note) {
  const summary = isObject(s.summary) ? s.summary : {};
  return h(
    'div',
    { class: `summary-boundary${s.status !== 'live' ? ' hidden-row' : ''}` },
    h(
      'div',
      { class: 'summary-head' },
      h('strong', null, 'Summary', s.filterKey ? [' (filter key ', isolated(s.filterKey), ')'] : null),
      ` replaces ${covered} loaded event${covered === 1 ? '' : 's'} above · up to ${summary.boundary?.cutoff_at ?? summary.updated_at ?? '?'}`,
      note ? h('span', { class: 'muted' }, ` · ${note}`) : null,
      statusBadge(s.status),
    ),
    unlessObject('the stored summary', s.summary),
    folded(textOf(summary.summary)),
    items(summary.topics).length
      ? h('p', { class: 'muted' }, `topics: ${summary.topics.map(textOf).join(', ')}`)
      : null,
    unlessList('topics', summary.topics),
  );
}
