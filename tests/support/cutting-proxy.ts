import net from 'node:net';

/**
 * An in-process TCP proxy between the SMTP client and a real server, for the network faults a
 * server will not make on demand. It reads the plain SMTP stream (so it sits in front of a listener
 * without STARTTLS, or strips STARTTLS) and, per connection, applies one fault:
 *   cut       forward the message body only up to byte N, then stop: the server gets a FIN (it
 *             logs "lost connection after DATA" and keeps nothing), the client a reset, as from
 *             any TCP peer that closes with bytes it has not read;
 *   no-reply  forward everything, final dot included, but never the server's answer to it; then
 *             close the client's connection in order ('close') or leave it silent ('hang');
 *   strip-starttls  remove STARTTLS from the EHLO reply (a man in the middle's downgrade).
 */
export type Fault = { kind: 'cut'; atBodyByte: number } | { kind: 'no-reply'; then: 'close' | 'hang' } | { kind: 'strip-starttls' };

export interface CuttingProxy {
  port: number;
  /** Faults for the next connections, in order; connections beyond the list pass untouched. */
  faults: (Fault | undefined)[];
  /** Size of every complete message body that crossed (from after DATA to the final dot inclusive). */
  bodies: number[];
  /** Bytes of body forwarded to the server when a cut happened. */
  cuts: number[];
  close(): Promise<void>;
}

const FINAL_DOT = Buffer.from('\r\n.\r\n');

export async function startCuttingProxy(targetPort: number): Promise<CuttingProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: CuttingProxy = { port: 0, faults: [], bodies: [], cuts: [], close: async () => undefined };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    relay(client, upstream, proxy.faults.shift(), proxy);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as net.AddressInfo).port;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return proxy;
}

function relay(client: net.Socket, upstream: net.Socket, fault: Fault | undefined, proxy: CuttingProxy): void {
  let command = '';
  let inBody = false;
  let body = 0;
  let tail = Buffer.alloc(0);
  let replyWithheld = false;
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => (replyWithheld ? undefined : client.destroy()));

  upstream.on('data', (chunk: Buffer) => {
    if (replyWithheld) {
      // The server answered the final dot: the client never hears it.
      if (fault?.kind === 'no-reply' && fault.then === 'close') client.end();
      return;
    }
    client.write(fault?.kind === 'strip-starttls' ? Buffer.from(chunk.toString('latin1').replace(/250-STARTTLS\r\n/gi, ''), 'latin1') : chunk);
  });

  client.on('data', (chunk: Buffer) => {
    let rest = chunk;
    while (rest.length > 0) {
      if (!inBody) {
        const eol = rest.indexOf('\n');
        const line = eol === -1 ? rest : rest.subarray(0, eol + 1);
        command += line.toString('latin1');
        upstream.write(line);
        rest = rest.subarray(line.length);
        if (command.endsWith('\n')) {
          inBody = /^DATA\r?\n$/i.test(command);
          command = '';
          body = 0;
          tail = Buffer.alloc(0);
        }
        continue;
      }
      if (fault?.kind === 'cut' && body + rest.length > fault.atBodyByte) {
        upstream.end(rest.subarray(0, fault.atBodyByte - body));
        proxy.cuts.push(fault.atBodyByte);
        client.pause();
        client.resetAndDestroy();
        return;
      }
      const seen = Buffer.concat([tail, rest]);
      const end = seen.indexOf(FINAL_DOT);
      if (end === -1) {
        body += rest.length;
        tail = seen.subarray(-4);
        upstream.write(rest);
        rest = Buffer.alloc(0);
        continue;
      }
      const used = end + FINAL_DOT.length - tail.length;
      upstream.write(rest.subarray(0, used));
      proxy.bodies.push(body + used);
      rest = rest.subarray(used);
      inBody = false;
      if (fault?.kind === 'no-reply') replyWithheld = true;
    }
  });
}
