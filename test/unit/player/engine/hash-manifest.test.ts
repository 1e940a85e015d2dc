import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashManifestError, manifestKey, parseHashManifest } from '../../../../player/src/engine/hash-manifest.ts';
import { HashVerifier, PendingVerifier } from '../../../../player/src/engine/integrity.ts';

const BASE = 'https://site.example/films/a/hashes.json';
const hex = (text: string) => createHash('sha256').update(text).digest('hex');

describe('parseHashManifest', () => {
  it('resolves keys against the manifest, keeps byte ranges, lowercases digests and skips bad entries', () => {
    const manifest = parseHashManifest(
      {
        version: 1,
        algorithm: 'sha-256',
        segments: {
          '360p/seg-00000.m4s': hex('a').toUpperCase(),
          '../b/seg.ts#bytes=100-199': hex('b'),
          'short.m4s': 'abc',
          'number.m4s': 7,
        },
      },
      BASE,
    );
    expect([...manifest.entries()]).toEqual([
      ['https://site.example/films/a/360p/seg-00000.m4s', hex('a')],
      ['https://site.example/films/b/seg.ts#bytes=100-199', hex('b')],
    ]);
  });

  it.each([
    ['not an object', 'hashes'],
    ['another version', { version: 2, algorithm: 'sha-256', segments: {} }],
    ['another algorithm', { version: 1, algorithm: 'md5', segments: {} }],
    ['segments as a list', { version: 1, algorithm: 'sha-256', segments: [] }],
  ])('refuses %s', (_what, json) => {
    expect(() => parseHashManifest(json, BASE)).toThrow(HashManifestError);
  });

  it('names a segment by URL without query, with its range as the manifest writes it', () => {
    expect(manifestKey('https://x/a.m4s?token=1')).toBe('https://x/a.m4s');
    expect(manifestKey('https://x/a.ts', { offset: 100, length: 100 })).toBe('https://x/a.ts#bytes=100-199');
  });
});

describe('HashVerifier', () => {
  const verifier = new HashVerifier(
    parseHashManifest({ version: 1, algorithm: 'sha-256', segments: { 'a.m4s': hex('right'), 'r.ts#bytes=0-4': hex('range') } }, BASE),
  );
  const bytes = (text: string) => new TextEncoder().encode(text);

  it('says ok for the published bytes, mismatch for others, unknown where nothing was published', async () => {
    const url = 'https://site.example/films/a/a.m4s';
    expect(verifier.covers({ url })).toBe(true);
    expect(await verifier.verify({ url: `${url}?session=9` }, bytes('right'))).toBe('ok');
    expect(await verifier.verify({ url }, bytes('wrong'))).toBe('mismatch');
    expect(verifier.covers({ url: 'https://site.example/films/a/b.m4s' })).toBe(false);
    expect(await verifier.verify({ url: 'https://site.example/films/a/b.m4s' }, bytes('right'))).toBe('unknown');
  });

  it('checks a byte-range segment under its range', async () => {
    const url = 'https://site.example/films/a/r.ts';
    expect(await verifier.verify({ url, range: { offset: 0, length: 5 } }, bytes('range'))).toBe('ok');
    expect(verifier.covers({ url })).toBe(false);
  });
});

describe('PendingVerifier', () => {
  const manifest = () =>
    new HashVerifier(parseHashManifest({ version: 1, algorithm: 'sha-256', segments: { 'a.m4s': hex('right') } }, BASE));
  const bytes = (text: string) => new TextEncoder().encode(text);
  const url = 'https://site.example/films/a/a.m4s';
  const other = 'https://site.example/films/a/b.m4s';

  it('lets peers be asked while the manifest loads, and checks their bytes once it is in', async () => {
    let resolve!: (verifier: HashVerifier) => void;
    const verifier = new PendingVerifier(new Promise<HashVerifier>((r) => (resolve = r)));
    expect(verifier.covers({ url: other })).toBe(true);
    const right = verifier.verify({ url }, bytes('right'));
    const wrong = verifier.verify({ url }, bytes('wrong'));
    resolve(manifest());
    expect(await right).toBe('ok');
    expect(await wrong).toBe('mismatch');
    expect(await verifier.ready).toBe(true);
    expect(verifier.covers({ url: other })).toBe(false);
  });

  it('passes nothing when the manifest never comes', async () => {
    const verifier = new PendingVerifier(Promise.reject(new Error('404')));
    expect(await verifier.verify({ url }, bytes('right'))).toBe('unknown');
    expect(await verifier.ready).toBe(false);
    expect(verifier.covers({ url })).toBe(false);
  });
});
