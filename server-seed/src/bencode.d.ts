// The part of bencode's (untyped) API that server-seed/src/torrent/ uses.
declare module 'bencode' {
  /** Byte strings decode as Uint8Array (or strings, given an encoding); dictionaries as plain objects. */
  export type BencodeValue = number | string | Uint8Array | BencodeValue[] | { [key: string]: BencodeValue };
  const bencode: {
    /** Dictionary keys are written sorted, so equal values always encode to the same bytes. */
    encode(value: unknown): Uint8Array;
    decode(data: Uint8Array, encoding?: string): BencodeValue;
    decode(data: Uint8Array, start: number, end: number, encoding?: string): BencodeValue;
  };
  export default bencode;
}
