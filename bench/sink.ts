import net from 'node:net';

/**
 * A minimal fast SMTP sink for the benchmark, run as its own process so it does not take the
 * sender's CPU: accepts everything (PIPELINING, 8BITMIME, SMTPUTF8), counts messages, keeps
 * nothing. Prints `port <n>` on stdout once listening, `first <epoch ms>` when the first message's
 * final dot arrives (the time to the first message), and on SIGTERM `messages <n>`.
 * SINK_LATENCY_MS holds each message's final reply that long, as a provider that limits every
 * connection does (replies stay in order, so one connection carries at most 1000/latency msg/s).
 */
const LATENCY_MS = Number(process.env.SINK_LATENCY_MS ?? 0);
const END = Buffer.from('\r\n.\r\n');
let messages = 0;

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  // Replies leave in order: each waits for the ones before it, a held one for its time too.
  const queue: { at: number; text: string }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const pump = () => {
    timer = undefined;
    const now = Date.now();
    let ready = '';
    while (queue.length > 0 && queue[0]!.at <= now) ready += queue.shift()!.text;
    if (ready && !socket.destroyed) socket.write(ready);
    if (queue.length > 0) timer = setTimeout(pump, queue[0]!.at - now);
  };
  const reply = (text: string, holdMs: number) => {
    queue.push({ at: Math.max(queue.at(-1)?.at ?? 0, Date.now() + holdMs), text });
    if (!timer) pump();
  };
  let inData = false;
  let tail = Buffer.alloc(0);
  let line = '';
  socket.write('220 bench-sink ESMTP\r\n');
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    let offset = 0;
    let out = '';
    while (offset < chunk.length) {
      if (inData) {
        // Look for the end marker, also across the chunk boundary (keep the last 4 bytes).
        const joined = tail.length > 0 ? Buffer.concat([tail, chunk.subarray(offset, offset + 5)]) : undefined;
        const across = joined ? joined.indexOf(END) : -1;
        if (across !== -1) {
          offset += across + END.length - tail.length;
        } else {
          const at = chunk.indexOf(END, offset);
          if (at === -1) {
            tail = Buffer.from(chunk.subarray(Math.max(offset, chunk.length - 4)));
            offset = chunk.length;
            break;
          }
          offset = at + END.length;
        }
        tail = Buffer.alloc(0);
        inData = false;
        messages += 1;
        if (messages === 1) process.stdout.write(`first ${Date.now()}\n`);
        if (LATENCY_MS > 0) {
          if (out) reply(out, 0);
          out = '';
          reply('250 2.0.0 ok\r\n', LATENCY_MS);
        } else out += '250 2.0.0 ok\r\n';
        continue;
      }
      const eol = chunk.indexOf(10, offset);
      if (eol === -1) {
        line += chunk.toString('latin1', offset);
        break;
      }
      line += chunk.toString('latin1', offset, eol + 1);
      offset = eol + 1;
      const verb = line.slice(0, 4).toUpperCase();
      line = '';
      if (verb === 'EHLO') out += '250-bench-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n';
      else if (verb === 'DATA') {
        out += '354 go ahead\r\n';
        inData = true;
        // A message that starts with the end marker's last three bytes is empty: ignore that case.
        tail = Buffer.from('\r\n');
      } else if (verb === 'QUIT') {
        socket.end('221 bye\r\n');
        return;
      } else out += '250 ok\r\n';
    }
    if (out) reply(out, 0);
  });
});

server.listen(Number(process.env.SINK_PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`port ${(server.address() as net.AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  process.stdout.write(`messages ${messages}\n`);
  process.exit(0);
});
