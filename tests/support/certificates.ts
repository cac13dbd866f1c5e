import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A private certificate authority and two server certificates made with openssl: one for
 * 127.0.0.1 (an IP SAN) and mx.example.test, one for "localhost" only. Each server file holds the
 * key, then the certificate, then the CA (Postfix's smtpd_tls_chain_files order).
 */
export interface Certificates {
  /** The CA certificate (PEM), for the client to trust. */
  ca: string;
  server: string;
  localhostOnly: string;
}

export function makeCertificates(dir: string): Certificates {
  mkdirSync(dir, { recursive: true });
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path('ca.key'), '-out', path('ca.pem'), '-days', '2', '-subj', '/CN=Digest test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const issue = (name: string, subjectAltName: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', path(`${name}.key`), '-out', path(`${name}.csr`), '-subj', `/CN=${name}`);
    writeFileSync(path(`${name}.ext`), `subjectAltName=${subjectAltName}\nextendedKeyUsage=serverAuth\n`);
    openssl('x509', '-req', '-in', path(`${name}.csr`), '-CA', path('ca.pem'), '-CAkey', path('ca.key'), '-CAcreateserial', '-out', path(`${name}.crt`), '-days', '2', '-extfile', path(`${name}.ext`));
    const chain = path(`${name}.chain.pem`);
    writeFileSync(chain, [`${name}.key`, `${name}.crt`, 'ca.pem'].map((file) => readFileSync(path(file), 'utf8')).join(''));
    chmodSync(chain, 0o600);
    return chain;
  };
  return {
    ca: readFileSync(path('ca.pem'), 'utf8'),
    server: issue('server', 'IP:127.0.0.1,DNS:mx.example.test'),
    localhostOnly: issue('localhost', 'DNS:localhost'),
  };
}
