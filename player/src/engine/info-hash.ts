/** The tracker's name for one rendition's swarm: SHA-1 of the swarm id and the rendition, 20 bytes. */
export async function infoHashOf(swarmId: string, rendition: string): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw Object.assign(new Error('WebCrypto is unavailable (P2P needs a secure context: https or localhost)'), { code: 'ERR_NO_CRYPTO' });
  const digest = await subtle.digest('SHA-1', new TextEncoder().encode(`${swarmId}\n${rendition}`));
  return new Uint8Array(digest);
}

/** 20 random bytes with a client prefix, as BitTorrent peer ids are. */
export function randomPeerId(random: () => number = Math.random): Uint8Array {
  const id = new Uint8Array(20);
  const prefix = new TextEncoder().encode('-PV0001-');
  id.set(prefix);
  if (globalThis.crypto?.getRandomValues) globalThis.crypto.getRandomValues(id.subarray(prefix.length));
  else for (let i = prefix.length; i < 20; i += 1) id[i] = Math.floor(random() * 256);
  return id;
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
