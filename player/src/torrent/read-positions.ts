/**
 * Where the media element reads a file next. It may have several requests open at once (the one it plays from,
 * one it opened after a seek, one for the index at the end): the newest one still open is where it reads; when
 * none is open, where the last one to end stopped.
 */
export class ReadPositions {
  /** Each open request's next byte, by the order it was opened in. */
  private readonly open = new Map<number, number>();
  private ended = 0;
  private opened = 0;

  get at(): number {
    let newest = -1;
    for (const id of this.open.keys()) newest = Math.max(newest, id);
    return newest < 0 ? this.ended : this.open.get(newest)!;
  }

  /** A request from byte `start`: tell it of each chunk given, and when it ends. */
  start(start: number): { advance(bytes: number): void; end(): void } {
    const id = (this.opened += 1);
    this.open.set(id, start);
    return {
      advance: (bytes) => {
        const at = this.open.get(id);
        if (at !== undefined) this.open.set(id, at + bytes);
      },
      end: () => {
        const at = this.open.get(id);
        if (at === undefined) return;
        this.open.delete(id);
        this.ended = at;
      },
    };
  }
}
