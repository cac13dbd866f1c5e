import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { ConfigError, messageOf } from '../errors.js';
import { processMail, type BounceDeps } from './process.js';
import type { Verp } from './verp.js';

/**
 * The inbound SMTP listener for the bounce domain (`digest bounces serve`). It takes mail only for
 * correctly signed VERP addresses, refuses anything over the size limit before storing it, and
 * answers only after the report is recorded, so a failed write (451) makes the sender retry.
 */
export interface BounceListener {
  port: number;
  close(): Promise<void>;
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

export async function startBounceListener(deps: BounceDeps & { verp: Verp }, port: number, host: string): Promise<BounceListener> {
  const server = new SMTPServer({
    name: deps.verp.domain,
    banner: 'bounce and complaint reports only',
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    logger: false,
    size: deps.maxBytes,
    maxClients: 50,
    socketTimeout: 60_000,
    onRcptTo(address, session, callback) {
      if (session.envelope.rcptTo.length >= 1) return callback(smtpError(452, '4.5.3 one report per message, please'));
      if (!deps.verp.parse(address.address)) return callback(smtpError(550, `5.1.1 <${address.address.slice(0, 100)}>: no such bounce address`));
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= deps.maxBytes) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (size > deps.maxBytes || stream.sizeExceeded) {
          deps.logger.warn('bounce.too_large', { source: 'smtp', bytes: size });
          return callback(smtpError(552, `5.3.4 message larger than ${deps.maxBytes} bytes`));
        }
        const to = session.envelope.rcptTo[0]?.address;
        processMail(deps, Buffer.concat(chunks), 'smtp', to).then(
          () => callback(),
          (error: unknown) => {
            deps.logger.error('bounce.store_failed', { source: 'smtp', error: messageOf(error) });
            callback(smtpError(451, '4.3.0 could not record the report now, try again later'));
          },
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new ConfigError('BOUNCE_LISTEN', `The bounce listener cannot listen on ${host}:${port} (${error.code ?? error.message}): choose another BOUNCE_SMTP_PORT / --port, or BOUNCE_SMTP_HOST / --host`)),
    );
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  server.on('error', (error) => deps.logger.warn('bounce.listener_error', { error: messageOf(error) }));
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
