import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Watches what the preview is made of — the posts folder, the templates folder (with partials) and
 * the `.env` file — and reports a change once the burst of events an editor's save makes is over.
 * Editors often save by writing a new file and renaming it, so `.env` is watched through its folder.
 */
export interface WatchTargets {
  postsDir: string;
  templatesDir: string;
  envFile: string;
  /** feeds.yaml (FEEDS_FILE): a changed feed list or filter reloads too. */
  feedsFile?: string;
}

export interface Watcher {
  /** Points the watcher at new folders (after `.env` changed POSTS_DIR, say). */
  retarget(targets: WatchTargets): void;
  close(): void;
}

export const DEBOUNCE_MS = 150;

export function watchSources(targets: WatchTargets, onChange: (files: string[]) => void): Watcher {
  let watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let pending = new Set<string>();
  let current = '';
  const fire = (file: string) => {
    pending.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...pending];
      pending = new Set();
      onChange(files);
    }, DEBOUNCE_MS);
  };
  const start = (next: WatchTargets) => {
    const key = JSON.stringify(next);
    if (key === current) return;
    current = key;
    for (const w of watchers) w.close();
    const envName = basename(next.envFile);
    watchers = [
      tryWatch(next.postsDir, true, (name) => fire(`posts/${name}`)),
      tryWatch(next.templatesDir, true, (name) => fire(`templates/${name}`)),
      tryWatch(dirname(next.envFile), false, (name) => name === envName && fire(envName)),
      ...(next.feedsFile ? [watchFile(next.feedsFile, fire)] : []),
    ].filter((w): w is FSWatcher => w !== undefined);
  };
  start(targets);
  return {
    retarget: start,
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
      watchers = [];
    },
  };
}

/** A single file, through its folder (saved by rename, or created later). */
function watchFile(file: string, fire: (name: string) => void): FSWatcher | undefined {
  const name = basename(file);
  return tryWatch(dirname(file), false, (changed) => changed === name && fire(name));
}

function tryWatch(dir: string, recursive: boolean, onEvent: (name: string) => void): FSWatcher | undefined {
  try {
    const watcher = watch(dir, { recursive, persistent: false }, (_event, name) => onEvent(name === null ? '' : String(name)));
    // A folder deleted while watched: stop quietly; the page shows the resulting error.
    watcher.on('error', () => watcher.close());
    return watcher;
  } catch {
    return undefined;
  }
}
