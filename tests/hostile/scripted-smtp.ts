import { createServer, type Server, type Socket } from 'node:net';

/**
 * A raw TCP SMTP server that answers from a script, for the replies a real server won't give on
 * demand: garbage, endless lines, lies, silence after the final dot. Every step not scripted is
 * answered as a well-behaved server would, and every complete DATA it receives is counted.
 */
export type Step = string | Buffer | ((socket: Socket) => void);

export interface Script {
  greeting?: Step;
  ehlo?: Step;
  mail?: Step;
  rcpt?: Step;
  data?: Step;
  /** The reply after the final dot. */
  final?: Step;
}

export interface ScriptedSmtp {
  url: string;
  /** Messages whose final dot arrived. */
  bodies: string[];
  commands: string[];
  close(): Promise<void>;
}

const DEFAULTS: Required<Script> = {
  greeting: '220 scripted.test ESMTP\r\n',
  ehlo: '250-scripted.test\r\n250 8BITMIME\r\n',
  mail: '250 2.1.0 ok\r\n',
  rcpt: '250 2.1.5 ok\r\n',
  data: '354 go ahead\r\n',
  final: '250 2.0.0 queued\r\n',
};

export async function scriptedSmtp(script: Script): Promise<ScriptedSmtp> {
  const steps = { ...DEFAULTS, ...script };
  const bodies: string[] = [];
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    let inData = false;
    const play = (step: Step) => (typeof step === 'function' ? step(socket) : socket.writable && socket.write(step));
    play(steps.greeting);
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end === -1) return;
          bodies.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 5);
          inData = false;
          play(steps.final);
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol === -1) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        commands.push(line);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') play(steps.ehlo);
        else if (verb === 'MAIL') play(steps.mail);
        else if (verb === 'RCPT') play(steps.rcpt);
        else if (verb === 'DATA') {
          play(steps.data);
          inData = true;
          buffer = `\r\n${buffer}`;
        } else if (verb === 'RSET' || verb === 'NOOP') socket.write('250 ok\r\n');
        else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('502 not here\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    bodies,
    commands,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes `total` bytes of `fill` with no line ending, in chunks, then stays silent. */
export function endless(total: number, fill = 'A'): (socket: Socket) => void {
  return (socket) => {
    const chunk = Buffer.alloc(64 * 1024, fill);
    let sent = 0;
    const pump = () => {
      while (sent < total && socket.writable) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
    };
    pump();
  };
}
