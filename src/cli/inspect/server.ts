/**
 * The inspector's HTTP server (node:http): the page's static files, the JSON API, the downloads
 * and, when allowed, the two writes. Every response carries the security headers; every request
 * passes the access check first. Failures reach the page as a short message; the details (with
 * any password hidden) go to the terminal.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAgentSessionsError } from '../../session/errors.js';
import { type ApiContext, apps, info, Query, sessions, timeline, users } from './api.js';
import { ASSETS } from './assets.js';
import { type Download, exportJson, exportTranscript } from './downloads.js';
import {
  isLoopbackAddress,
  isLoopbackListenHost,
  isSameOriginWrite,
  newAccessToken,
  refusal,
  setSecurityHeaders,
  TOKEN_COOKIE,
  tokenCookie,
} from './security.js';
import { parseWriteRequest, remove, restore } from './writes.js';

/** How to start the inspector. */
export interface InspectorOptions extends ApiContext {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: any free port). */
  port?: number;
  /** Allows an address other than loopback; every request then needs the access token. */
  expose?: boolean;
  /** Where failures are reported in full (the terminal). */
  onError?: (error: unknown) => void;
}

/** A running inspector. */
export interface Inspector {
  /** The address to open: with `?token=` when a token is required. */
  readonly url: string;
  /** The access token, or null on a loopback address. */
  readonly token: string | null;
  readonly port: number;
  close(): Promise<void>;
}

/** A refused bind of a non-loopback address. */
export class ExposeRequiredError extends Error {
  override readonly name = 'ExposeRequiredError';
}

/** The largest write request body read: a key and a confirmation. */
const MAX_BODY_BYTES = 16 * 1024;

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

function sendDownload(res: ServerResponse, file: Download): void {
  res.setHeader('Content-Disposition', `attachment; filename="${file.filename}"`);
  send(res, 200, file.type, file.body);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RangeError('request body too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

type Handler = (ctx: ApiContext, q: Query) => unknown;

const READS: Record<string, Handler> = {
  '/api/info': (ctx) => info(ctx),
  '/api/apps': apps,
  '/api/users': users,
  '/api/sessions': sessions,
  '/api/timeline': timeline,
};

async function route(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname;
  if (req.method === 'POST' && (path === '/api/restore' || path === '/api/delete')) {
    if (!ctx.allowWrites) {
      sendJson(res, 403, {
        error: 'this inspector is read-only: start it with --allow-writes to restore or delete',
      });
      return;
    }
    if (!isSameOriginWrite(req)) {
      sendJson(res, 403, { error: 'writes are accepted only from the inspector page itself' });
      return;
    }
    const request = parseWriteRequest(await readBody(req));
    sendJson(res, 200, await (path === '/api/restore' ? restore(ctx, request) : remove(ctx, request)));
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    sendJson(res, 405, { error: `${req.method} is not allowed here` });
    return;
  }
  const q = new Query(url.searchParams);
  const read = READS[path];
  if (read) {
    sendJson(res, 200, await read(ctx, q));
    return;
  }
  if (path === '/api/export' || path === '/api/transcript') {
    const download = path === '/api/export' ? exportJson : exportTranscript;
    sendDownload(res, await download(ctx, q.key(), q.flag('hidden')));
    return;
  }
  const asset = ASSETS[path === '/' ? '/index.html' : path];
  if (asset) {
    send(res, 200, asset.type, asset.body);
    return;
  }
  if (path === '/favicon.ico') {
    // No icon: an empty answer keeps the browser from logging a failed request on every visit.
    res.writeHead(204).end();
    return;
  }
  sendJson(res, 404, { error: 'not found' });
}

/** The status and page message for a failure: ours are explained, anything else is "see the terminal". */
function failure(error: unknown): { status: number; message: string; log: boolean } {
  if (isAgentSessionsError(error, 'INVALID_ARGUMENT'))
    return { status: 400, message: error.message, log: false };
  if (isAgentSessionsError(error, 'NOT_FOUND')) return { status: 404, message: error.message, log: false };
  if (isAgentSessionsError(error, 'CONFLICT')) return { status: 409, message: error.message, log: false };
  if (error instanceof RangeError) return { status: 413, message: error.message, log: false };
  // A driver error may name the host, the database or the user: the page gets none of it.
  return { status: 500, message: "the request failed; the inspector's terminal shows why", log: true };
}

/**
 * Starts the inspector and resolves once it listens.
 *
 * @throws ExposeRequiredError when `host` is not a loopback address and `expose` is not set.
 */
export async function startInspector(options: InspectorOptions): Promise<Inspector> {
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopbackListenHost(host);
  if (!loopback && !options.expose) {
    throw new ExposeRequiredError(
      `${host} is not a loopback address: other machines could read every session. Add --expose to allow it; every request then needs the access token printed at start`,
    );
  }
  const token = loopback ? null : newAccessToken();
  const ctx: ApiContext = {
    client: options.client,
    tables: options.tables,
    label: options.label,
    allowWrites: options.allowWrites,
  };
  const server: Server = createServer((req, res) => {
    setSecurityHeaders(res);
    const url = new URL(req.url ?? '/', 'http://inspector.invalid');
    const refused = refusal(req, url, { token });
    if (refused) {
      sendJson(res, refused.status, { error: refused.message });
      return;
    }
    // The first visit brings the token in the URL: keep it in a cookie, and take it out of the
    // address bar (and so out of the history and any link copied from it).
    if (
      token !== null &&
      url.searchParams.has('token') &&
      req.method === 'GET' &&
      !url.pathname.startsWith('/api/')
    ) {
      url.searchParams.delete('token');
      res.setHeader('Set-Cookie', tokenCookie(token));
      res.writeHead(303, { Location: `${url.pathname}${url.search}` });
      res.end();
      return;
    }
    route(ctx, req, res, url).catch((error: unknown) => {
      const f = failure(error);
      if (f.log) options.onError?.(error);
      if (!res.headersSent) sendJson(res, f.status, { error: f.message });
      else res.destroy();
    });
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  // `localhost` is resolved when listening, and a hosts file may map it anywhere: what counts is
  // the address bound. Without a token, anything but loopback is refused.
  if (token === null && !isLoopbackAddress(address)) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw new ExposeRequiredError(
      `${host} resolved to ${address}, which is not a loopback address: other machines could read every session. Listen on 127.0.0.1, or add --expose to allow it; every request then needs the access token printed at start`,
    );
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/${token ? `?token=${token}` : ''}`,
    token,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export { TOKEN_COOKIE };
