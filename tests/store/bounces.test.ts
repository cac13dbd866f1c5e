import { afterEach, describe } from 'vitest';
import { useStores } from './stores.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { describeBounceStore } from './bounce-store.contract.js';

describeBounceStore('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-bounce-store-'));
  const store = openSqliteStore(dir);
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('on PostgreSQL', () => {
  const stores = useStores();
  afterEach(() => stores.close());
  describeBounceStore('PostgreSQL', async () => ({ store: await stores.open('postgres'), cleanup: async () => undefined }));
});
