/**
 * A server that speaks just enough of the PostgreSQL protocol to refuse a login: it asks for the
 * password in clear text, then fails the connection with an error. A hostile or careless server
 * (or pooler) may echo what it was sent, so the error message can quote the password received:
 * what the library prints must still not hold it.
 */
import net from 'node:net';

export interface AuthServer {
  readonly port: number;
  close(): Promise<void>;
}

/** `failure` builds the error's SQLSTATE and message from the password the client sent. */
export async function startAuthServer(
  failure: (password: string) => { code: string; message: string },
): Promise<AuthServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      if (!started) {
        if (pending.length < 4) return;
        const length = pending.readInt32BE(0);
        if (pending.length < length) return;
        pending = pending.subarray(length);
        started = true;
        // AuthenticationCleartextPassword
        socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
      }
      if (pending.length < 5 || pending[0] !== 0x70 /* 'p' */) return;
      const length = pending.readInt32BE(1);
      if (pending.length < length + 1) return;
      const password = pending.subarray(5, length).toString('utf8').replace(/\0$/, '');
      const { code, message } = failure(password);
      const field = (type: string, value: string) =>
        Buffer.concat([Buffer.from(type), Buffer.from(value, 'utf8'), Buffer.from([0])]);
      const body = Buffer.concat([
        field('S', 'FATAL'),
        field('V', 'FATAL'),
        field('C', code),
        field('M', message),
        Buffer.from([0]),
      ]);
      const header = Buffer.alloc(5);
      header.write('E', 0);
      header.writeInt32BE(body.length + 4, 1);
      socket.end(Buffer.concat([header, body]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
