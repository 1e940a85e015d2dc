import { open } from 'node:fs/promises';

/**
 * Writes `parts` one after the other into a new `file` with one writev: a media segment goes from the buffers
 * its samples were read into straight to the file, never gathered in memory first. Resolves to the bytes written.
 */
export async function writeParts(file: string, parts: readonly Uint8Array[]): Promise<number> {
  let total = 0;
  for (const part of parts) total += part.byteLength;
  const handle = await open(file, 'w');
  try {
    // libuv repeats a short write until every buffer is out; anything less is an error it did not report.
    const { bytesWritten } = await handle.writev(parts as Uint8Array[]);
    if (bytesWritten !== total) throw new Error(`wrote ${bytesWritten} of ${total} bytes to ${file}`);
  } finally {
    await handle.close();
  }
  return total;
}
