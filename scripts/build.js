#!/usr/bin/env node
/**
 * The build: src/ (TypeScript) to dist/ (JavaScript), type-checked by tsc, with the files the code
 * reads beside itself at run time (the PostgreSQL migrations) copied along; then the CLI and the
 * MJML worker bundled into dist/bundle/, which is what runs. `npm run build` runs it, and so does
 * `prepare`, so `npm ci` leaves a runnable dist/.
 *
 * bin/digest.js and the test suite call `ensureBuilt()` before running dist/: when a file under
 * src/ is newer than the last build, it rebuilds (tsc -b, incremental) if TypeScript is
 * installed, and otherwise warns that old code is running. An edited src/ therefore never runs
 * as a stale dist/ without a word.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROOT = join(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
/** What bin/digest.js runs: dist/cli.js and what it imports, as a few files (see bundle()). */
export const BUNDLE = join(DIST, 'bundle');
/** Written after every successful build: dist/ holds src/ as it was at this file's time. */
const STAMP = join(DIST, '.build-stamp');
const LOCK = join(DIST, '.build-lock');
/** Besides src/, what changes the output (this file too: a pull that changes only the build rebuilds). */
const INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'scripts/build.js'].map((file) => join(ROOT, file));
/** Files under src/ that are not compiled but read at run time, relative to their module. */
const ASSET = /\.sql$/;

/** Compiles src/ into dist/; throws when tsc reports an error (the output is still written). */
export function build() {
  const tsc = typescriptCompiler();
  if (!tsc) throw new Error('TypeScript is not installed, so dist/ cannot be built. Install with dev dependencies (`npm ci`), build, then `npm prune --omit=dev` if you want them gone: see docs/operations.md.');
  mkdirSync(DIST, { recursive: true });
  // tsc's own output goes to stderr: a command's stdout (`digest subscribers export > list.csv`) stays clean.
  const result = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) throw new Error(`tsc found errors in src/ (listed above); dist/ was not marked as built.`);
  copyAssets();
  removeOrphans();
  bundle();
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}

/**
 * The parts of mjml the MJML worker loads only when something touches them (the list of
 * src/render/mjml-unused-parts.ts, which tests/build/bundle.process.test.ts holds equal to this):
 * left out of the worker's bundle, so that the worker's stand-ins replace them.
 */
export const DEFERRED_MJML_PARTS = ['juice', 'htmlnano', 'cssnano-preset-lite', 'undici'];

/**
 * dist/cli.js and the MJML worker, with the packages they import, bundled by esbuild into
 * dist/bundle/: Node loads a few files instead of several hundred (docs/performance.md).
 * - The CLI: a command's modules stay a chunk of their own, loaded when it runs. Not bundled:
 *   packages with native code (better-sqlite3, pg-native); mjml, which the CLI imports only to
 *   compile MJML in its own thread; and every package the code loads on demand with
 *   createRequire, which must stay one module shared with its static imports.
 * - The MJML worker, one file with mjml inside (its import took half the time it takes from
 *   node_modules), less the parts it defers.
 * Source maps point at src/.
 */
function bundle() {
  const esbuild = devDependency('esbuild');
  rmSync(BUNDLE, { recursive: true, force: true });
  const common = {
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
    // Bundled CommonJS packages call require() for Node's own modules and for those left out.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  };
  // Every output file at the top of dist/bundle/, two folders below package.json as each compiled
  // module is: paths taken from import.meta (package.json, the worker beside its starter) stay right.
  esbuild.buildSync({
    ...common,
    entryPoints: [join(DIST, 'cli.js')],
    outdir: BUNDLE,
    splitting: true,
    external: ['better-sqlite3', 'pg-native', 'mjml', 'mjml-*', ...loadedOnDemand()],
  });
  esbuild.buildSync({
    ...common,
    entryPoints: [join(DIST, 'render', 'mjml-worker.js')],
    outfile: join(BUNDLE, 'mjml-worker.js'),
    external: DEFERRED_MJML_PARTS,
  });
  copyAssets(SRC, (path) => join(BUNDLE, basename(dirname(path)), basename(path)));
}

/** Packages named in `createRequire(import.meta.url)('…')` anywhere in dist/ (lazy loads). */
export function loadedOnDemand(dir = DIST, found = new Set()) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && path !== BUNDLE) loadedOnDemand(path, found);
    else if (entry.name.endsWith('.js')) {
      for (const [, name] of readFileSync(path, 'utf8').matchAll(/createRequire\(import\.meta\.url\)\('([^'.][^']*)'\)/g)) found.add(name);
    }
  }
  return [...found];
}

/**
 * Before running dist/: nothing to do when it is up to date (a few milliseconds of stat calls);
 * a rebuild when src/ changed and TypeScript is here (several processes starting together wait
 * for one build); a warning on stderr when it cannot rebuild (a production install without dev
 * dependencies). Throws when there is no dist/ at all and no way to make one.
 */
export function ensureBuilt() {
  const changed = newerThanBuild();
  if (!changed) return;
  if (!typescriptCompiler()) {
    if (!existsSync(join(BUNDLE, 'cli.js'))) throw new Error('dist/ is missing and TypeScript is not installed: run `npm ci` (it builds dist/), or `npm run build`.');
    process.stderr.write(`digest: warning: ${relative(ROOT, changed)} is newer than the build in dist/, which is what runs; run \`npm run build\` where dev dependencies are installed.\n`);
    return;
  }
  withBuildLock(() => {
    if (!newerThanBuild()) return; // another process built it while this one waited
    const why = existsSync(STAMP) ? `${relative(ROOT, changed)} changed since the last build` : 'dist/ has not been built yet';
    process.stderr.write(`digest: ${why}; building dist/ (npm run build)…\n`);
    build();
  });
}

/** The first input newer than the last build (or any input, when there has been none), else undefined. */
export function newerThanBuild() {
  const built = mtimeOf(STAMP);
  if (built === undefined) return SRC;
  for (const file of INPUTS) if ((mtimeOf(file) ?? 0) > built) return file;
  return newerUnder(SRC, built);
}

/** Directories count too: deleting or renaming a file changes its folder's time. */
function newerUnder(dir, built) {
  if (statSync(dir).mtimeMs > built) return dir;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = newerUnder(path, built);
      if (found) return found;
    } else if (statSync(path).mtimeMs > built) return path;
  }
  return undefined;
}

function mtimeOf(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** A build tool from the dev dependencies, loaded from this project. */
function devDependency(name) {
  try {
    return createRequire(join(ROOT, 'package.json'))(name);
  } catch {
    throw new Error(`${name} is not installed, so dist/ cannot be built: run \`npm ci\` (it installs the dev dependencies).`);
  }
}

/** tsc's entry script, or undefined where TypeScript is not installed (`npm ci --omit=dev`). */
function typescriptCompiler() {
  try {
    return join(dirname(createRequire(join(ROOT, 'package.json')).resolve('typescript/package.json')), 'bin', 'tsc');
  } catch {
    return undefined;
  }
}

/**
 * Each asset to the same place under dist/; for the bundle, its folder beside the bundle's files
 * (a module reads its assets from a folder beside itself: `join(import.meta.dirname, 'migrations')`).
 */
function copyAssets(dir = SRC, targetOf = (path) => join(DIST, relative(SRC, path))) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) copyAssets(path, targetOf);
    else if (ASSET.test(entry.name)) {
      const target = targetOf(path);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(path, target);
    }
  }
}

/** Output of a source file since deleted or renamed: it would still be importable from dist/. */
function removeOrphans(dir = DIST) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue; // the stamp, the lock, tsc's build info
    const path = join(dir, entry.name);
    if (path === BUNDLE) continue; // made anew by every build
    if (entry.isDirectory()) {
      removeOrphans(path);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
      continue;
    }
    const source = sourceOf(relative(DIST, path));
    if (source && !existsSync(join(SRC, source))) rmSync(path);
  }
}

/** `store/db.js` or `store/db.js.map` → `store/db.ts`; an asset → itself. */
function sourceOf(output) {
  const compiled = output.match(/^(.*)\.js(\.map)?$/);
  if (compiled) return `${compiled[1]}.ts`;
  return ASSET.test(output) ? output : undefined;
}

/** One build at a time: mkdir is atomic; a lock older than the longest plausible build is left over from a crash. */
function withBuildLock(work) {
  mkdirSync(DIST, { recursive: true });
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      if (Date.now() - (mtimeOf(LOCK) ?? Date.now()) > 300_000) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`another build has held ${relative(ROOT, LOCK)} for five minutes: remove it if no build is running.`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    // A tree built elsewhere and installed with --omit=dev: `prepare` has nothing to do.
    if (!typescriptCompiler() && !newerThanBuild()) process.stderr.write('build: dist/ is up to date (TypeScript is not installed here; nothing to compile).\n');
    else build();
  } catch (error) {
    process.stderr.write(`build: ${error.message}\n`);
    process.exitCode = 1;
  }
}
