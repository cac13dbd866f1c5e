import { generateKeyPairSync } from 'node:crypto';

/**
 * The only fake is DNS: a resolver that answers the selector's TXT record with our public key.
 * RSA publishes the SubjectPublicKeyInfo; Ed25519 (RFC 8463) the bare 32-byte key.
 */
export function dkimKeys(domain = 'example.org', selector = 'digest', type: 'rsa' | 'ed25519' = 'rsa') {
  const { privateKey, publicKey } = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const p = (type === 'rsa' ? spki : spki.subarray(-32)).toString('base64');
  const resolver = async (name: string, kind: string) => {
    if (kind === 'TXT' && name === `${selector}._domainkey.${domain}`) return [[`v=DKIM1; k=${type}; p=${p}`]];
    throw Object.assign(new Error(`no ${kind} record for ${name}`), { code: 'ENOTFOUND' });
  };
  return { privateKey, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, resolver, domain, selector };
}
