/**
 * Who may talk to the inspector. On a loopback address only this machine can connect, and the
 * Host header must name a loopback host too, or a web page could reach the server through a DNS
 * name re-pointed at 127.0.0.1 (DNS rebinding) and read the sessions. On any other address every
 * request must carry the random access token printed at start.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';

/** The cookie the page carries the token in after the first visit. */
export const TOKEN_COOKIE = 'agent_sessions_inspector';

/**
 * What the page may load and run: only its own script and style files, only fetches to itself;
 * no inline script, no frames, no forms, nothing from the network.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Whether an IP address (as `server.address()` reports it) is a loopback address. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(a) === 4) return a.startsWith('127.');
  if (isIP(a) === 6) return a === '::1' || a === '0:0:0:0:0:0:0:1';
  return false;
}

/**
 * Whether a --host to listen on means this machine only as written: a loopback address or
 * `localhost`. Any other name, `foo.localhost` too, is resolved through DNS, which may answer with
 * an address other machines reach; such a name needs --expose like any other address.
 */
export function isLoopbackListenHost(host: string): boolean {
  return host.toLowerCase() === 'localhost' || isLoopbackAddress(host);
}

/**
 * Whether a Host header's name means this machine only. `*.localhost` counts here: browsers
 * resolve it to loopback themselves (RFC 6761), so no DNS answer can point it elsewhere.
 */
export function isLoopbackHostHeader(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || isLoopbackAddress(h);
}

/** A new access token: 32 random bytes, URL-safe. */
export function newAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Compares in constant time, so the token cannot be guessed a character at a time. */
export function sameToken(given: string | undefined, token: string): boolean {
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/** The token a request carries: `Authorization: Bearer`, the cookie, or `?token=` on a page visit. */
export function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  return url.searchParams.get('token') ?? cookie(req, TOKEN_COOKIE);
}

/** The host name of a Host header (`127.0.0.1:7733`, `[::1]:80`, `localhost`). */
export function hostName(header: string | undefined): string {
  if (!header) return '';
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  return header.split(':')[0]!;
}

/** Headers every response carries. */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
}

/** Why a request is refused, or null when it may proceed. */
export function refusal(
  req: IncomingMessage,
  url: URL,
  access: { token: string | null },
): { status: number; message: string } | null {
  if (access.token === null) {
    if (!isLoopbackHostHeader(hostName(req.headers.host))) {
      return {
        status: 421,
        message: 'this inspector answers only to a loopback Host (127.0.0.1 or localhost)',
      };
    }
    return null;
  }
  if (!sameToken(tokenOf(req, url), access.token)) {
    return {
      status: 401,
      message: 'an access token is required: open the URL the inspector printed at start',
    };
  }
  return null;
}

/**
 * Whether a write request comes from the inspector's own page: a JSON body (which a form on
 * another site cannot send without a CORS preflight we never grant) and, when the browser says
 * where it comes from, our own origin.
 */
export function isSameOriginWrite(req: IncomingMessage): boolean {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** The Set-Cookie value that keeps the token for the page's later requests (never readable by script). */
export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
