/**
 * The site's hash manifest (DESIGN.md): `{ "version": 1, "algorithm": "sha-256", "segments": { "<URL relative to
 * the manifest, with #bytes=start-end for a byte range>": "<hex digest>" } }`. Pure: runs in browsers and Node.
 */
export type HashManifest = ReadonlyMap<string, string>;

/** A manifest that cannot be used, with the reason in words. */
export class HashManifestError extends Error {
  override name = 'HashManifestError';
}

/** The manifest with every key made an absolute URL (query dropped, `#bytes=` kept) → lowercase hex digest. */
export function parseHashManifest(json: unknown, manifestUrl: string): HashManifest {
  const doc = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const { version, algorithm, segments } = doc;
  if (version !== 1 || algorithm !== 'sha-256' || !segments || typeof segments !== 'object' || Array.isArray(segments)) {
    throw new HashManifestError(`hash manifest ${manifestUrl} is not version 1 with algorithm sha-256`);
  }
  const out = new Map<string, string>();
  for (const [key, digest] of Object.entries(segments as Record<string, unknown>)) {
    if (typeof digest !== 'string' || !/^[0-9a-f]{64}$/i.test(digest)) continue;
    const [path, range] = splitRange(key);
    try {
      out.set(manifestKey(new URL(path, manifestUrl).href, range), digest.toLowerCase());
    } catch {
      // A key that is not a URL names nothing we will ever fetch.
    }
  }
  return out;
}

/** How a segment is named in a parsed manifest: its absolute URL without query, plus `#bytes=start-end`. */
export function manifestKey(url: string, range?: { offset: number; length: number } | string): string {
  const plain = url.split(/[?#]/, 1)[0]!;
  if (range === undefined) return plain;
  const bytes = typeof range === 'string' ? range : `${range.offset}-${range.offset + range.length - 1}`;
  return `${plain}#bytes=${bytes}`;
}

function splitRange(key: string): [string, string | undefined] {
  const match = /#bytes=(\d+-\d+)$/.exec(key);
  return match ? [key.slice(0, match.index), match[1]] : [key, undefined];
}
