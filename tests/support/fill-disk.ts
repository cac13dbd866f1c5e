import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * Writes `file` in `chunkBytes` pieces until its file system refuses (ENOSPC): the disk is then
 * full to within one chunk. Returns the file, to truncate or delete for space back.
 */
export function fillUntilFull(file: string, chunkBytes: number): string {
  const fd = openSync(file, 'a');
  try {
    for (;;) writeSync(fd, Buffer.alloc(chunkBytes));
  } catch {
    // ENOSPC: full.
  } finally {
    closeSync(fd);
  }
  return file;
}
