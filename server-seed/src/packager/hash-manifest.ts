import { createHash } from 'node:crypto';

/** The sha-256 of `bytes`, or of its parts one after the other, in hex. */
export function sha256Hex(bytes: Uint8Array | readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const part of bytes instanceof Uint8Array ? [bytes] : bytes) hash.update(part);
  return hash.digest('hex');
}

/**
 * The segment hash manifest (DESIGN.md): `{ version: 1, algorithm: "sha-256", segments: { url: hex } }`, URLs
 * relative to the manifest, sorted so the same title always gives the same file.
 */
export function hashManifest(digests: ReadonlyMap<string, string>): string {
  const segments: Record<string, string> = {};
  for (const url of [...digests.keys()].sort()) segments[url] = digests.get(url) ?? '';
  return `${JSON.stringify({ version: 1, algorithm: 'sha-256', segments }, null, 2)}\n`;
}
