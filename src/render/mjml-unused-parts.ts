import { createRequire, Module } from 'node:module';

/**
 * mjml loads, when imported, libraries a digest never runs: juice (it inlines `<mj-style
 * inline="inline">`, which the templates do not use), htmlnano and cssnano (the `minify` options,
 * off), and undici, which cheerio loads for its `fromURL`. Together about 40 % of mjml's import
 * time. In the MJML worker each is replaced, before mjml is imported, by a stand-in that loads
 * the real library the first time anything touches it: a template that does inline styles gets
 * real juice then, and the same bytes (tests/render/mjml-worker.test.ts). A library that is not
 * where this expects it (another mjml layout) is simply left to load as usual.
 */
const UNUSED: { name: string; from: string[]; esModule: boolean }[] = [
  { name: 'juice', from: ['mjml', 'mjml-core'], esModule: false },
  { name: 'htmlnano', from: ['mjml', 'mjml-core'], esModule: false },
  { name: 'cssnano-preset-lite', from: ['mjml', 'mjml-core'], esModule: false },
  // cheerio reads it through __importStar, which takes a module marked __esModule as it is.
  { name: 'undici', from: ['mjml', 'mjml-core', 'cheerio'], esModule: true },
];

/** The names of the deferred parts: the build leaves them out of the worker's bundle (scripts/build.js). */
export const DEFERRED_MJML_PARTS = UNUSED.map((part) => part.name);

export function deferUnusedMjmlParts(): void {
  for (const part of UNUSED) {
    try {
      const requireThere = part.from.reduce((from, name) => createRequire(from.resolve(name)), createRequire(import.meta.url));
      defer(requireThere, part.name, part.esModule);
    } catch {
      // not installed where mjml looks for it: nothing to defer
    }
  }
}

function defer(requireThere: NodeJS.Require, name: string, esModule: boolean): void {
  const file = requireThere.resolve(name);
  if (requireThere.cache[file]) return;
  let real: Record<PropertyKey, unknown> | undefined;
  const load = () => {
    if (!real) {
      delete requireThere.cache[file];
      real = requireThere(name) as Record<PropertyKey, unknown>;
    }
    return real;
  };
  const standIn = new Proxy(function standIn() {}, {
    apply: (_target, self, args) => Reflect.apply(load() as unknown as (...a: unknown[]) => unknown, self, args),
    construct: (_target, args) => Reflect.construct(load() as unknown as new (...a: unknown[]) => object, args),
    get: (_target, key) => (key === '__esModule' ? esModule || undefined : load()[key]),
    set: (_target, key, value) => Reflect.set(load(), key, value),
    has: (_target, key) => key in load(),
  });
  const module = new Module(file);
  module.filename = file;
  module.loaded = true;
  module.exports = standIn;
  requireThere.cache[file] = module;
}
