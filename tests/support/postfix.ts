import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeCertificates, type Certificates } from './certificates.js';

/**
 * A private Postfix from Debian (scripts/ensure-postfix.sh installs it): its own config, queue and
 * data directories under a temporary directory, listening on loopback ports only, never relaying
 * anywhere (every non-local transport is `error`). SASL is Cyrus with a sasldb file (no second
 * daemon); the virtual agent delivers every address of example.test into one Maildir, `mail/inbox/`,
 * where its Delivered-To header tells the recipients apart.
 *
 * Listeners (all 127.0.0.1):
 *   tls      STARTTLS with a certificate for 127.0.0.1 and mx.example.test; AUTH only after TLS
 *   plain    no STARTTLS; AUTH in clear (a "relay on this machine")
 *   badCert  STARTTLS with a certificate for "localhost" only
 *   small    like plain, with SIZE 20000
 */
const run = promisify(execFile);

export const DOMAIN = 'example.test';
export const SASL_USER = `digest@${DOMAIN}`;
export const SASL_PASS = 'correct horse battery';
export const SMALL_LIMIT = 20_000;

export interface PostfixInstance {
  dir: string;
  ports: { tls: number; plain: number; badCert: number; small: number };
  certificates: Certificates;
  /** Raw messages delivered to one address's Maildir (new/), oldest first. */
  delivered(address: string): Buffer[];
  /** Waits until the queue is empty, so what was accepted has been delivered. */
  settled(): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

export interface PostfixOptions {
  /** Recipient → access-table answer, e.g. "450 4.2.1 mailbox busy". */
  access?: Record<string, string>;
}

export async function startPostfix(options: PostfixOptions = {}): Promise<PostfixInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'digest-postfix-'));
  chmodSync(dir, 0o755);
  const ports = { tls: await freePort(), plain: await freePort(), badCert: await freePort(), small: await freePort() };
  const certificates = makeCertificates(join(dir, 'tls'));
  const postfix = ids();
  for (const sub of ['etc/sasl', 'queue', 'data', 'mail', 'sasl']) mkdirSync(join(dir, sub), { recursive: true });
  chownSync(join(dir, 'data'), postfix.uid, postfix.gid);
  chownSync(join(dir, 'mail'), postfix.uid, postfix.gid);
  writeFileSync(join(dir, 'etc', 'main.cf'), mainCf(dir, postfix));
  writeFileSync(join(dir, 'etc', 'master.cf'), masterCf(ports, certificates));
  writeFileSync(join(dir, 'etc', 'access'), Object.entries(options.access ?? {}).map(([to, answer]) => `${to} ${answer}\n`).join(''));
  // Debian's smtpd reads <config_directory>/sasl/smtpd.conf whatever cyrus_sasl_config_path says.
  writeFileSync(join(dir, 'etc', 'sasl', 'smtpd.conf'), `pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: ${join(dir, 'sasl', 'sasldb2')}\n`);
  execFileSync('/usr/sbin/saslpasswd2', ['-p', '-c', '-f', join(dir, 'sasl', 'sasldb2'), '-u', DOMAIN, 'digest'], { input: SASL_PASS });
  chownSync(join(dir, 'sasl', 'sasldb2'), postfix.uid, postfix.gid);
  await run('/usr/sbin/postfix', ['-c', join(dir, 'etc'), 'start']);
  await Promise.all(Object.values(ports).map((port) => untilListening(port)));
  const instance: PostfixInstance = {
    dir,
    ports,
    certificates,
    delivered: (address) => readMaildir(join(dir, 'mail', 'inbox', 'new')).filter((raw) => raw.includes(`\nDelivered-To: ${address}\n`)),
    settled: () => untilQueueEmpty(join(dir, 'queue')),
    log: () => (existsSync(join(dir, 'maillog')) ? readFileSync(join(dir, 'maillog'), 'utf8') : ''),
    async stop() {
      await run('/usr/sbin/postfix', ['-c', join(dir, 'etc'), 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return instance;
}

function mainCf(dir: string, postfix: { uid: number; gid: number }): string {
  return `compatibility_level = 3.6
queue_directory = ${join(dir, 'queue')}
data_directory = ${join(dir, 'data')}
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.${DOMAIN}
mydomain = ${DOMAIN}
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
relayhost =
default_transport = error:this test instance sends nothing off the machine
relay_transport = error:this test instance sends nothing off the machine
maillog_file = ${join(dir, 'maillog')}
maillog_file_prefixes = ${dir}
smtpd_banner = $myhostname ESMTP test instance
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
in_flow_delay = 0
virtual_mailbox_domains = ${DOMAIN}
virtual_mailbox_base = ${join(dir, 'mail')}
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:${postfix.uid}
virtual_gid_maps = static:${postfix.gid}
virtual_minimum_uid = 1
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = ${join(dir, 'sasl')}
smtpd_sasl_security_options = noanonymous
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_recipient_restrictions = check_recipient_access texthash:${join(dir, 'etc', 'access')}, permit_sasl_authenticated, reject
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
`;
}

function masterCf(ports: PostfixInstance['ports'], certificates: Certificates): string {
  const smtpd = (port: number, ...overrides: string[]) => `127.0.0.1:${port} inet n - n - - smtpd\n${overrides.map((o) => `  -o ${o}\n`).join('')}`;
  const clear = ['smtpd_tls_security_level=none', 'smtpd_tls_auth_only=no'];
  return [
    smtpd(ports.tls, `smtpd_tls_chain_files=${certificates.server}`),
    smtpd(ports.plain, ...clear),
    smtpd(ports.badCert, `smtpd_tls_chain_files=${certificates.localhostOnly}`),
    smtpd(ports.small, ...clear, `message_size_limit=${SMALL_LIMIT}`),
    ...[
      'pickup unix n - n 60 1 pickup',
      'cleanup unix n - n - 0 cleanup',
      'qmgr unix n - n 300 1 qmgr',
      'tlsmgr unix - - n 1000? 1 tlsmgr',
      'rewrite unix - - n - - trivial-rewrite',
      'bounce unix - - n - 0 bounce',
      'defer unix - - n - 0 bounce',
      'trace unix - - n - 0 bounce',
      'verify unix - - n - 1 verify',
      'flush unix n - n 1000? 0 flush',
      'proxymap unix - - n - - proxymap',
      'showq unix n - n - - showq',
      'error unix - - n - - error',
      'retry unix - - n - - error',
      'discard unix - - n - - discard',
      'virtual unix - n n - - virtual',
      'anvil unix - - n - 1 anvil',
      'scache unix - - n - 1 scache',
      'postlog unix-dgram n - n - 1 postlogd',
    ].map((line) => `${line}\n`),
  ].join('');
}

function ids(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postfix']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

function readMaildir(path: string): Buffer[] {
  if (!existsSync(path)) return [];
  // Maildir names start with the delivery time in seconds, then a sequence: sorted, oldest first.
  return readdirSync(path)
    .sort()
    .map((name) => readFileSync(join(path, name)));
}

async function untilQueueEmpty(queue: string): Promise<void> {
  const queued = () => ['maildrop', 'incoming', 'active', 'deferred'].some((sub) => existsSync(join(queue, sub)) && hasFiles(join(queue, sub)));
  for (let i = 0; i < 200; i += 1) {
    if (!queued()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Postfix's queue under ${queue} did not empty`);
}

function hasFiles(path: string): boolean {
  return readdirSync(path, { withFileTypes: true }).some((entry) => (entry.isDirectory() ? hasFiles(join(path, entry.name)) : true));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function untilListening(port: number): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Postfix did not listen on 127.0.0.1:${port}`);
}
