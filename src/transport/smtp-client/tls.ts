import net from 'node:net';
import tls from 'node:tls';
import type { SmtpTarget } from './connection.js';

/**
 * The network steps of opening a session, each bounded by the connect timeout: the TCP connect
 * (with TLS from the first byte for smtps://) and the STARTTLS handshake over the same socket.
 * The certificate is checked against the host written in SMTP_URL (an IP address against the
 * certificate's IP SANs), or against `?servername=` when the operator names another one.
 */
export type SetupFailure = 'auth' | 'tls' | 'certificate' | 'unreachable' | 'refused' | 'timeout';

/** Opening a session failed; `kind` says which step. */
export class SmtpSetupError extends Error {
  constructor(
    readonly kind: SetupFailure,
    message: string,
    readonly reply?: { code: number; text: string; lines: string[] },
  ) {
    super(message);
  }
}

export function connectSocket(target: SmtpTarget): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const seconds = target.connectTimeoutMs / 1000;
    const socket = target.secure ? tls.connect({ host: target.host, port: target.port, ...tlsOptions(target) }) : net.connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      const step = target.secure && !connected ? 'connect or TLS handshake' : target.secure ? 'TLS handshake' : 'connect';
      reject(new SmtpSetupError('timeout', `no ${step} within ${seconds} s (SMTP_CONNECT_TIMEOUT_SECONDS)`));
    }, target.connectTimeoutMs);
    let connected = false;
    socket.once('connect', () => (connected = true));
    const onError = (error: Error & { code?: string }) => {
      clearTimeout(timer);
      const network = /^(ECONN|EHOST|ENET|ENOTFOUND|ETIMEDOUT|EAI_)/.test(error.code ?? '');
      if (!target.secure || network) return reject(new SmtpSetupError('unreachable', error.message));
      reject(tlsFailure('the TLS handshake failed', error, target));
    };
    socket.once('error', onError);
    socket.once(target.secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/** STARTTLS: a TLS client over the already-open socket, bounded like the connect. */
export function upgrade(socket: net.Socket, target: SmtpTarget): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const secured = tls.connect({ socket, ...tlsOptions(target) });
    const timer = setTimeout(() => {
      secured.destroy();
      reject(new SmtpSetupError('timeout', `no TLS handshake within ${target.connectTimeoutMs / 1000} s after STARTTLS (SMTP_CONNECT_TIMEOUT_SECONDS)`));
    }, target.connectTimeoutMs);
    const onError = (error: Error & { code?: string }) => {
      clearTimeout(timer);
      reject(tlsFailure('the TLS upgrade failed', error, target));
    };
    secured.once('error', onError);
    secured.once('secureConnect', () => {
      clearTimeout(timer);
      secured.off('error', onError);
      resolve(secured);
    });
  });
}

/** The name the certificate must carry: `?servername=`, else the host of SMTP_URL. */
export function expectedName(target: SmtpTarget): string {
  return target.servername ?? target.host;
}

function tlsOptions(target: SmtpTarget): tls.ConnectionOptions {
  const name = expectedName(target);
  return {
    // SNI carries names only, never an address (RFC 6066 §3).
    ...(net.isIP(name) ? {} : { servername: name }),
    rejectUnauthorized: target.rejectUnauthorized,
    // Without this, an upgraded socket (which has no host) is checked against "localhost".
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(name, cert),
    ...(target.ca ? { ca: target.ca } : {}),
  };
}

/** Certificate problems say what is wrong with the certificate; the rest stays a TLS failure. */
function tlsFailure(step: string, error: Error & { code?: string }, target: SmtpTarget): SmtpSetupError {
  const problem = certificateProblem(error.code ?? '', expectedName(target));
  if (problem) return new SmtpSetupError('certificate', `the server's certificate was refused: ${problem} (${error.message})`);
  return new SmtpSetupError('tls', `${step}: ${error.message}`);
}

function certificateProblem(code: string, name: string): string | undefined {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `it is not valid for ${name}${net.isIP(name) ? ' (an address must be among its IP SANs)' : ''}; write the name it carries as ?servername= in SMTP_URL, or connect by that name`;
  if (code === 'CERT_HAS_EXPIRED') return 'it has expired';
  if (code === 'CERT_NOT_YET_VALID') return 'it is not valid yet (check the clocks)';
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN') return 'it is self-signed, or signed by a certificate authority this machine does not trust (NODE_EXTRA_CA_CERTS can add one)';
  if (/^UNABLE_TO_(GET_ISSUER_CERT|VERIFY_LEAF_SIGNATURE)/.test(code)) return 'its issuer is unknown here (an incomplete chain on the server, or a private certificate authority: NODE_EXTRA_CA_CERTS can add one)';
  if (code === 'CERT_REVOKED') return 'it has been revoked';
  return undefined;
}
