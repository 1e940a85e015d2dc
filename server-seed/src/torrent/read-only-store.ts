import { close, open, read } from 'node:fs';

type Callback<T = void> = (error: Error | null, value?: T) => void;

/** What WebTorrent hands a chunk store's constructor, plus our `storeOpts`. */
export interface ReadOnlyStoreOptions {
  /** The file the torrent is of (its only file). */
  file: string;
  /** The torrent's length: the file's size. */
  length: number;
}

/**
 * A chunk store (the abstract-chunk-store interface WebTorrent uses) over one file of the collection that only
 * reads: the seeder serves the site's own files in place, and nothing a peer sends can write to them, nor can
 * destroying a torrent delete them (WebTorrent's file store would do both).
 */
export class ReadOnlyFileStore {
  readonly chunkLength: number;
  private readonly file: string;
  private readonly length: number;
  private fd: Promise<number> | undefined;
  private closed = false;

  constructor(chunkLength: number, options: ReadOnlyStoreOptions) {
    this.chunkLength = Number(chunkLength);
    if (!this.chunkLength) throw new Error('a chunk length is needed');
    if (!options.file) throw new Error('storeOpts.file is needed');
    this.file = options.file;
    this.length = options.length;
  }

  get(index: number, options: { offset?: number; length?: number } | null | undefined, cb: Callback<Buffer>): void;
  get(index: number, cb: Callback<Buffer>): void;
  get(index: number, optionsOrCb: unknown, maybeCb?: Callback<Buffer>): void {
    const cb = (typeof optionsOrCb === 'function' ? optionsOrCb : maybeCb) as Callback<Buffer>;
    const options = (typeof optionsOrCb === 'object' && optionsOrCb) || {};
    const { offset = 0 } = options as { offset?: number };
    const chunkStart = index * this.chunkLength;
    const chunkSize = Math.min(this.chunkLength, this.length - chunkStart);
    const length = (options as { length?: number }).length ?? chunkSize - offset;
    if (this.closed) return defer(cb, new Error('the store is closed'));
    if (!(index >= 0) || chunkSize <= 0 || offset < 0 || length < 0 || offset + length > chunkSize) {
      return defer(cb, new Error(`no such range: chunk ${index}, ${offset}+${length}`));
    }
    this.open().then(
      (fd) => {
        const buffer = Buffer.alloc(length);
        read(fd, buffer, 0, length, chunkStart + offset, (error, bytesRead) => {
          if (error) cb(error);
          else if (bytesRead !== length) cb(new Error(`${this.file} is shorter than its torrent`));
          else cb(null, buffer);
        });
      },
      (error: Error) => cb(error),
    );
  }

  put(_index: number, _buffer: Uint8Array, cb?: Callback): void {
    defer(cb, new Error('the collection is read-only to peers'));
  }

  close(cb?: Callback): void {
    this.closed = true;
    const fd = this.fd;
    this.fd = undefined;
    if (!fd) return defer(cb, null);
    fd.then(
      (handle) => close(handle, () => cb?.(null)),
      () => cb?.(null),
    );
  }

  /** Closes; never deletes the file. */
  destroy(cb?: Callback): void {
    this.close(cb);
  }

  private open(): Promise<number> {
    this.fd ??= new Promise((resolve, reject) => open(this.file, 'r', (error, fd) => (error ? reject(error) : resolve(fd))));
    return this.fd;
  }
}

function defer(cb: Callback<never> | Callback | undefined, error: Error | null): void {
  queueMicrotask(() => (cb as Callback | undefined)?.(error));
}
