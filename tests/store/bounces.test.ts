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
