import net from 'node:net';

/**
 * A scripted raw SMTP server for what a real one won't do on demand: 421 in the middle of a
 * batch, a reset before or after the final dot, a silent close after M messages, 535 on AUTH, a
 * slow reply. It speaks enough ESMTP (PIPELINING, SMTPUTF8, AUTH PLAIN/LOGIN) for our client and
 * records every message whose final dot arrived, whatever it then answered.
 */
export interface ScriptedMessage {
  from: string;
  to: string[];
  data: Buffer;
  connection: number;
  /** The reply it got ('' when the connection was reset or the server never answered). */
  reply: string;
}

export interface SessionInfo {
  connection: number;
  /** Messages completed on this connection so far. */
  count: number;
}

/** What to do once a message's final dot arrives; the reply waits `delayMs`, and for `until` when given. */
export type DotAction = string | { reply: string; delayMs?: number; until?: Promise<unknown> } | 'reset' | 'hang';

export interface ScriptOptions {
  capabilities?: string[];
  greeting?: string;
  /** A reply instead of the EHLO capabilities (e.g. "502 5.5.1 unknown command": the client must fall back to HELO). */
  ehlo?: string;
  auth?: (user: string, pass: string) => string;
  startTls?: string;
  /** A reply line instead of 250, or 'reset' to drop the connection without a reply. */
  mail?: (from: string, session: SessionInfo) => string | undefined;
  rcpt?: (to: string, session: SessionInfo) => string | undefined;
  data?: (to: string[], session: SessionInfo) => string | undefined;
  /** Called when the first body bytes arrive; 'reset' drops the connection before the dot. */
  body?: (to: string[], session: SessionInfo) => 'reset' | undefined;
  /** Called after the 354 is sent; 'reset' drops the connection 5 ms later, before any body. */
  afterData?: (to: string[], session: SessionInfo) => 'reset' | undefined;
  dot?: (message: ScriptedMessage, session: SessionInfo) => DotAction | undefined;
  /** Close silently (no 421) right after the M-th message on a connection. */
  closeAfter?: number;
}

export interface ScriptedServer {
  url: string;
  port: number;
  /** Every message whose final dot arrived. */
  messages: ScriptedMessage[];
  /** Bytes that arrived while a reply was still pending, from a client told there is no PIPELINING. */
  violations: string[];
  connections: number;
  /** Messages the server answered 2xx for, to one address. */
  accepted(address: string): ScriptedMessage[];
  /** Messages whose final dot arrived, to one address, whatever the reply. */
  dots(address: string): ScriptedMessage[];
  close(): Promise<void>;
}

const DEFAULT_CAPS = ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'AUTH PLAIN LOGIN'];
const END = Buffer.from('\r\n.\r\n');

export async function startScriptedServer(script: ScriptOptions = {}): Promise<ScriptedServer> {
  const messages: ScriptedMessage[] = [];
  const violations: string[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    serve(socket, { connection: connections, count: 0 }, script, messages, violations);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    violations,
    get connections() {
      return connections;
    },
    accepted: (address) => messages.filter((m) => m.to.includes(address) && m.reply.startsWith('2')),
    dots: (address) => messages.filter((m) => m.to.includes(address)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function serve(socket: net.Socket, session: SessionInfo, script: ScriptOptions, messages: ScriptedMessage[], violations: string[]): void {
  let buffer = Buffer.alloc(0);
  let mode: 'command' | 'data' | 'auth-user' | 'auth-pass' = 'command';
  let from = '';
  let to: string[] = [];
  let user = '';
  let busy = false;
  const pipelining = (script.capabilities ?? DEFAULT_CAPS).includes('PIPELINING');
  let bodyChecked = false;
  const send = (line: string) => socket.writable && socket.write(`${line}\r\n`);

  const command = (line: string): void => {
    const verb = line.split(' ')[0]!.toUpperCase();
    if (mode === 'auth-user') {
      user = Buffer.from(line, 'base64').toString();
      mode = 'auth-pass';
      return void send('334 UGFzc3dvcmQ6');
    }
    if (mode === 'auth-pass') {
      mode = 'command';
      return void send(script.auth?.(user, Buffer.from(line, 'base64').toString()) ?? '235 2.7.0 ok');
    }
    if (verb === 'EHLO' && script.ehlo) return void send(script.ehlo);
    if (verb === 'HELO') return void send('250 scripted');
    if (verb === 'EHLO') return void send(['scripted', ...(script.startTls ? ['STARTTLS'] : []), ...(script.capabilities ?? DEFAULT_CAPS)].map((c, i, all) => `250${i === all.length - 1 ? ' ' : '-'}${c}`).join('\r\n'));
    if (verb === 'STARTTLS') return void send(script.startTls ?? '502 no');
    if (verb === 'AUTH') {
      const [, mechanism, initial] = line.split(' ');
      if (mechanism?.toUpperCase() === 'LOGIN') {
        mode = 'auth-user';
        return void send('334 VXNlcm5hbWU6');
      }
      const [, u = '', p = ''] = Buffer.from(initial ?? '', 'base64').toString().split('\0');
      return void send(script.auth?.(u, p) ?? '235 2.7.0 ok');
    }
    if (verb === 'MAIL') {
      from = /<([^>]*)>/.exec(line)?.[1] ?? '';
      to = [];
      const reply = script.mail?.(from, session) ?? '250 2.1.0 ok';
      if (reply === 'reset') return void socket.destroy();
      send(reply);
      if (reply.startsWith('421')) socket.end();
      return;
    }
    if (verb === 'RCPT') {
      const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
      const reply = script.rcpt?.(address, session) ?? '250 2.1.5 ok';
      if (reply === 'reset') return void socket.destroy();
      if (reply.startsWith('2')) to.push(address);
      send(reply);
      if (reply.startsWith('421')) socket.end();
      return;
    }
    if (verb === 'DATA') {
      if (to.length === 0) return void send('554 5.5.1 no valid recipients');
      const reply = script.data?.(to, session);
      if (reply === 'reset') return void socket.destroy();
      if (reply) return void send(reply);
      mode = 'data';
      bodyChecked = false;
      send('354 go ahead');
      if (script.afterData?.(to, session) === 'reset') setTimeout(() => socket.destroy(), 5);
      return;
    }
    if (verb === 'RSET') return void send('250 2.0.0 reset');
    if (verb === 'QUIT') {
      send('221 bye');
      return void socket.end();
    }
    send('502 5.5.2 unknown command');
  };

  const finishMessage = async (data: Buffer): Promise<void> => {
    const message: ScriptedMessage = { from, to, data: undot(data), connection: session.connection, reply: '' };
    messages.push(message);
    mode = 'command';
    const action = script.dot?.(message, session) ?? '250 2.0.0 queued';
    if (action === 'reset') return void socket.destroy();
    if (action === 'hang') return;
    const { reply, delayMs, until } = typeof action === 'string' ? { reply: action, delayMs: 0, until: undefined } : action;
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    await until;
    if (socket.destroyed) return;
    message.reply = reply;
    send(reply);
    session.count += 1;
    if (reply.startsWith('421')) return void socket.end();
    if (script.closeAfter !== undefined && session.count >= script.closeAfter) socket.destroy();
  };

  const pump = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      while (!socket.destroyed) {
        if (mode === 'data') {
          if (!bodyChecked && buffer.length > 0) {
            bodyChecked = true;
            if (script.body?.(to, session) === 'reset') return void socket.destroy();
          }
          const end = buffer.indexOf(END);
          if (end === -1) return;
          const data = buffer.subarray(0, end + 2);
          buffer = buffer.subarray(end + END.length);
          if (buffer.length > 0 && !pipelining) violations.push(buffer.toString('utf8', 0, 40));
          await finishMessage(data);
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol === -1) return;
        const line = buffer.subarray(0, eol).toString('utf8');
        buffer = buffer.subarray(eol + 2);
        command(line);
      }
    } finally {
      busy = false;
    }
  };

  socket.on('data', (chunk: Buffer) => {
    if (busy && !pipelining) violations.push(chunk.toString('utf8', 0, 40));
    buffer = Buffer.concat([buffer, chunk]);
    void pump().then(() => (buffer.length > 0 && !busy ? pump() : undefined));
  });
  send(script.greeting ?? '220 scripted ESMTP ready');
}

function undot(data: Buffer): Buffer {
  return Buffer.from(data.toString('latin1').replace(/^\.\./gm, '.'), 'latin1');
}
