// WebTorrent's lt_donthave extension (untyped): the part the web-seed test drives.
declare module 'lt_donthave' {
  interface DontHave {
    onExtendedHandshake(): void;
    onMessage(message: Uint8Array): void;
  }
  export default function ltDontHave(): new (wire: unknown) => DontHave;
}
