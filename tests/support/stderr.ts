/** What `work` (a CLI command run in this process) wrote to stderr, kept from the test's output. */
export async function captureStderr<T>(work: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  const original = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { result: await work(), stderr };
  } finally {
    process.stderr.write = original;
  }
}
