/**
 * A TCP proxy in front of the test server that can misbehave on purpose, for faults a real
 * server cannot be told to produce on cue:
 *
 * - `freeze()`: stop passing bytes either way (a server that stopped answering, or a network
 *   that silently drops packets) until `thaw()`;
 * - `cutAll()`: close every open link at once, both ends, as a network partition or a load
 *   balancer's reset does; a statement the server is running goes on running (PostgreSQL does
 *   not look at a client's socket while a statement waits for a lock) and may commit;
 * - `loseNextAnswer()`: let the next statement reach the server and run to its end (its
 *   ReadyForQuery, so an implicit transaction has committed), then drop the answer and cut the
 *   client's connection, as a connection that dies right after COMMIT does. The client cannot
 *   know whether its write was applied.
 *
 * Messages are parsed on the way back (type byte + int32 length), so "the end of a statement" is
 * exact, not a guess about TCP chunks.
 */
import net from 'node:net';
import { serverUrl } from '../../support/database.js';

interface Link {
  client: net.Socket;
  upstream: net.Socket;
  /** Server-to-client bytes not yet parsed into whole messages. */
  pending: Buffer;
  /** Dropping the server's answer until its ReadyForQuery, then cutting this link. */
  losing: boolean;
  /** Startup: the first server messages are not statements' answers. */
  ready: boolean;
}

export interface FaultyProxy {
  readonly port: number;
  freeze(): void;
  thaw(): void;
  /** Closes every open link, both ends. */
  cutAll(): void;
  /** Resolves when an answer was dropped and its connection cut. */
  loseNextAnswer(): Promise<void>;
  /** Links currently open. */
  readonly links: number;
  close(): Promise<void>;
}

export async function startProxy(target: { host: string; port: number }): Promise<FaultyProxy> {
  const links = new Set<Link>();
  let frozen = false;
  const held: (() => void)[] = [];
  let armed: { resolve(): void } | undefined;

  const cut = (link: Link) => {
    link.client.destroy();
    link.upstream.destroy();
    links.delete(link);
  };

  const fromServer = (link: Link, chunk: Buffer) => {
    link.pending = Buffer.concat([link.pending, chunk]);
    let out: Buffer[] = [];
    for (;;) {
      if (link.pending.length < 5) break;
      const length = link.pending.readInt32BE(1);
      if (link.pending.length < 1 + length) break;
      const message = link.pending.subarray(0, 1 + length);
      link.pending = link.pending.subarray(1 + length);
      const type = String.fromCharCode(message[0]!);
      if (link.losing) {
        if (type === 'Z') {
          // The statement is over on the server (committed, for an implicit transaction).
          const done = armed;
          armed = undefined;
          cut(link);
          done?.resolve();
          return;
        }
        continue;
      }
      if (type === 'Z' && !link.ready) link.ready = true;
      out.push(message);
    }
    if (out.length > 0) link.client.write(Buffer.concat(out));
    out = [];
  };

  const fromClient = (link: Link, chunk: Buffer) => {
    // The first statement after arming, on a link past its startup, is the one whose answer goes.
    if (armed && link.ready && !link.losing && [...links].every((l) => !l.losing)) link.losing = true;
    link.upstream.write(chunk);
  };

  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const link: Link = { client, upstream, pending: Buffer.alloc(0), losing: false, ready: false };
    links.add(link);
    const pass = (fn: () => void) => (frozen ? held.push(fn) : fn());
    client.on('data', (chunk) => pass(() => fromClient(link, chunk)));
    upstream.on('data', (chunk) => pass(() => fromServer(link, chunk)));
    const end = () => cut(link);
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const fn of held.splice(0)) fn();
    },
    cutAll() {
      for (const link of links) cut(link);
    },
    loseNextAnswer() {
      return new Promise<void>((resolve) => {
        armed = { resolve };
      });
    },
    get links() {
      return links.size;
    },
    async close() {
      frozen = false;
      held.length = 0;
      for (const link of links) cut(link);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A proxy in front of the test server, with `dsn`: the test server's URL routed through it. */
export type TestServerProxy = FaultyProxy & { dsn: string };

/** Starts a proxy in front of the test server (AGENT_SESSIONS_TEST_DATABASE_URL). */
export async function proxyTestServer(): Promise<TestServerProxy> {
  const url = new URL(serverUrl!);
  const proxy = await startProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.host = `127.0.0.1:${proxy.port}`;
  return Object.assign(proxy, { dsn: url.toString() });
}

/**
 * A server that accepts TCP connections and never says a word: what a client meets behind a
 * firewall that drops packets, or at a server that hangs before its startup answer.
 */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
