import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/workspace.js';

/**
 * The libraries that parse hostile input, at or above the releases that fixed their known
 * advisories. Every installed production copy counts (nested ones too), read from the real tree
 * with `npm ls --omit=dev`. scripts/audit.sh runs this when the audit service cannot be reached.
 */
interface Advisory {
  id: string;
  what: string;
  fixed: string;
  /** Older release lines that got a backport: a copy on that major is fine from this version. */
  backports?: string[];
}

export const ADVISORIES: Record<string, Advisory[]> = {
  nodemailer: [
    { id: 'CVE-2021-23400', what: 'header injection through an address object', fixed: '6.6.1' },
    { id: 'GHSA-mm7p-fcc7-pg87', what: 'quoted local part with @ routed to another domain ("a@b.com x"@internal)', fixed: '7.0.7' },
    { id: 'GHSA-rcmh-qjqh-p98v', what: 'addressparser recursion on nested groups (many colons): DoS', fixed: '7.0.11' },
    { id: 'GHSA-c7w3-x93f-qmm8', what: 'SMTP command injection through envelope.size', fixed: '8.0.4' },
    { id: 'GHSA-cc9r-2j5m-2m83', what: 'recipient domain check bypassed with RFC 5322 comments', fixed: '9.1.0' },
    { id: 'GHSA-wmmp-3585-3rmp', what: 'IDN domains punycoded without UTS 46 mapping', fixed: '9.1.0' },
    { id: 'GHSA-g57g-f23g-4646', what: 'quoted local part plus comment leaves extra domain text in the envelope', fixed: '10.0.9' },
    { id: 'GHSA-g73g-hqqh-jr95', what: 'comment inside an angle-bracket address not stripped', fixed: '10.0.13' },
    { id: 'GHSA-3q53-mvfw-q9v8', what: 'addressparser truncates domains at folding white space or comments', fixed: '10.4.1' },
  ],
  handlebars: [
    { id: 'CVE-2019-19919', what: 'prototype pollution from templates', fixed: '4.3.0' },
    { id: 'CVE-2021-23369', what: 'remote code execution with strict/compat compilation', fixed: '4.7.7' },
    { id: 'CVE-2021-23383', what: 'prototype pollution', fixed: '4.7.7' },
    { id: 'GHSA-3mfm-83xf-c92r', what: 'JavaScript injection through AST type confusion (and seven related advisories)', fixed: '4.7.9' },
  ],
  mjml: [
    { id: 'CVE-2020-12827', what: 'mj-include path traversal', fixed: '4.6.3' },
    { id: 'CVE-2025-67898', what: 'mj-include traversal still possible: includes were on by default', fixed: '5.0.0' },
  ],
  'mjml-core': [{ id: 'CVE-2025-67898', what: 'mj-include handling', fixed: '5.0.0' }],
  'mjml-parser-xml': [{ id: 'CVE-2025-67898', what: 'mj-include handling', fixed: '5.0.0' }],
  'js-yaml': [{ id: 'CVE-2025-64718', what: 'prototype pollution through the merge key (<<)', fixed: '4.1.1', backports: ['3.14.2'] }],
};

interface Tree {
  version?: string;
  dependencies?: Record<string, Tree>;
}

/** name → every version installed for production, however deep. */
export function installedVersions(): Map<string, Set<string>> {
  let json: string;
  try {
    json = execFileSync('npm', ['ls', '--omit=dev', '--all', '--json'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    // npm ls exits 1 on extraneous or missing packages but still prints the tree.
    json = String((error as { stdout?: string }).stdout ?? '{}');
  }
  const found = new Map<string, Set<string>>();
  const walk = (deps: Record<string, Tree> = {}) => {
    for (const [name, node] of Object.entries(deps)) {
      if (node.version) found.set(name, (found.get(name) ?? new Set()).add(node.version));
      walk(node.dependencies);
    }
  };
  walk((JSON.parse(json) as Tree).dependencies);
  return found;
}

export function compare(a: string, b: string): number {
  const parts = (v: string) => v.replace(/[-+].*$/, '').split('.').map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i += 1) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

export function isFixed(version: string, advisory: Advisory): boolean {
  const major = version.split('.')[0];
  const backport = advisory.backports?.find((b) => b.split('.')[0] === major);
  return compare(version, backport ?? advisory.fixed) >= 0;
}

describe('libraries that parse hostile input carry the fixes for their advisories', () => {
  const installed = installedVersions();
  it.each(Object.keys(ADVISORIES))('%s', (name) => {
    const versions = [...(installed.get(name) ?? [])];
    expect(versions.length, `${name} is not installed for production`).toBeGreaterThan(0);
    for (const version of versions) {
      for (const advisory of ADVISORIES[name]!) expect(isFixed(version, advisory), `${name}@${version}: ${advisory.id} (${advisory.what}) is fixed in ${advisory.fixed}`).toBe(true);
    }
  });

  it('the comparison itself is right (so the test above can fail)', () => {
    expect(isFixed('4.1.0', ADVISORIES['js-yaml']![0]!)).toBe(false);
    expect(isFixed('3.14.2', ADVISORIES['js-yaml']![0]!)).toBe(true);
    expect(isFixed('3.14.1', ADVISORIES['js-yaml']![0]!)).toBe(false);
    expect(isFixed('10.4.0', ADVISORIES.nodemailer![8]!)).toBe(false);
    expect(isFixed('4.7.10', ADVISORIES.handlebars![3]!)).toBe(true);
  });
});
