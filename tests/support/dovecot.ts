import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { freePort } from './ports.js';

/**
 * A private Dovecot IMAP server for one test file: its own config, base and mail folders under a
 * temporary directory, one passwd-file user, listening on 127.0.0.1 on a free port. Installed by
 * scripts/ensure-dovecot.sh (Debian's dovecot-imapd); only the binaries are used.
 */
export interface TestImapServer {
  url: string;
  port: number;
  user: string;
  pass: string;
  /** Puts a message into a folder as a mail server would deliver it. */
  append(raw: Buffer, folder?: string): Promise<void>;
  /** How many messages a folder holds (0 when it does not exist). */
  count(folder: string): Promise<number>;
  close(): Promise<void>;
}

const DOVECOT = '/usr/sbin/dovecot';

export async function startDovecot(): Promise<TestImapServer> {
  if (!existsSync(DOVECOT)) throw new Error('Dovecot is not installed: run scripts/ensure-dovecot.sh (npm test does)');
  const dir = mkdtempSync(join(tmpdir(), 'digest-imap-'));
  const user = 'bounces';
  const pass = 'imap-test-password';
  for (let attempt = 0; ; attempt += 1) {
    const port = await freePort();
    const child = launch(dir, port, user, pass);
    if (await listening(port, child)) return server(dir, port, user, pass, child);
    child.kill('SIGTERM');
    if (attempt >= 2) throw new Error(`Dovecot did not start: ${readLog(dir)}`);
  }
}

function launch(dir: string, port: number, user: string, pass: string): ChildProcess {
  const root = process.getuid?.() === 0;
  const me = userInfo();
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  chmodSync(dir, 0o755);
  if (root) chownSync(home, uidOf('dovecot'), gidOf('dovecot'));
  writeFileSync(join(dir, 'passwd'), `${user}:{PLAIN}${pass}\n`);
  const config = [
    `base_dir = ${dir}/run`,
    `state_dir = ${dir}/state`,
    `log_path = ${dir}/dovecot.log`,
    `instance_name = digest-test-${port}`,
    'listen = 127.0.0.1',
    'protocols = imap',
    'ssl = no',
    'disable_plaintext_auth = no',
    'auth_mechanisms = plain login',
    'first_valid_uid = 1',
    ...(root ? [] : [`default_internal_user = ${me.username}`, `default_login_user = ${me.username}`]),
    'passdb {', '  driver = passwd-file', `  args = scheme=PLAIN username_format=%u ${dir}/passwd`, '}',
    'userdb {', '  driver = static', `  args = uid=${root ? 'dovecot' : me.uid} gid=${root ? 'dovecot' : me.gid} home=${home}/%u`, '}',
    'mail_location = maildir:~/Maildir',
    'service imap-login {', '  inet_listener imap {', '    address = 127.0.0.1', `    port = ${port}`, '  }', '  inet_listener imaps {', '    port = 0', '  }', '  chroot =', '}',
    'service anvil {', '  chroot =', '}',
  ].join('\n');
  writeFileSync(join(dir, 'dovecot.conf'), `${config}\n`);
  return spawn(DOVECOT, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: 'ignore' });
}

function server(dir: string, port: number, user: string, pass: string, child: ChildProcess): TestImapServer {
  const client = async <T>(work: (c: ImapFlow) => Promise<T>): Promise<T> => {
    const c = new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user, pass }, logger: false, disableAutoIdle: true });
    await c.connect();
    try {
      return await work(c);
    } finally {
      await c.logout();
    }
  };
  return {
    url: `imap://${user}:${pass}@127.0.0.1:${port}/INBOX`,
    port,
    user,
    pass,
    append: (raw, folder = 'INBOX') => client(async (c) => void (await c.append(folder, raw))),
    count: (folder) =>
      client(async (c) => {
        if (!(await c.list()).some((f) => f.path === folder)) return 0;
        const status = await c.status(folder, { messages: true });
        return status ? (status.messages ?? 0) : 0;
      }),
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function listening(port: number, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 100; i += 1) {
    if (child.exitCode !== null) return false;
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}


function idOf(file: string, name: string, field: number): number {
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no ${name} entry in ${file}`);
  return Number(line.split(':')[field]);
}
const uidOf = (name: string) => idOf('/etc/passwd', name, 2);
const gidOf = (name: string) => idOf('/etc/group', name, 2);

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'dovecot.log'), 'utf8').slice(-2000);
  } catch {
    return '(no log)';
  }
}
