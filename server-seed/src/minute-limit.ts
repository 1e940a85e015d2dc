/** Requests per address in the current minute; everything is forgotten at the next minute, so memory stays bounded. */
export class MinuteLimit {
  private readonly limit: number;
  private readonly now: () => number;
  private counts = new Map<string, number>();
  private minute = 0;

  constructor(limit: number, now: () => number = Date.now) {
    this.limit = limit;
    this.now = now;
  }

  take(address: string): boolean {
    const minute = Math.floor(this.now() / 60_000);
    if (minute !== this.minute) {
      this.minute = minute;
      this.counts = new Map();
    }
    const count = (this.counts.get(address) ?? 0) + 1;
    this.counts.set(address, count);
    return count <= this.limit;
  }
}
