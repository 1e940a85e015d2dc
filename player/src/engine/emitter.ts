/**
 * A small typed event emitter: one payload per event, listeners that throw are caught and reported to `onError`
 * so one bad listener never breaks the engine.
 */
export class Emitter<Events extends { [K in keyof Events]: (payload: never) => void }> {
  private readonly listeners = new Map<keyof Events, Set<Events[keyof Events]>>();
  protected onListenerError: (error: unknown) => void = () => {};

  on<E extends keyof Events>(event: E, listener: Events[E]): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
  }

  off<E extends keyof Events>(event: E, listener: Events[E]): void {
    this.listeners.get(event)?.delete(listener);
  }

  protected emit<E extends keyof Events>(event: E, payload: Parameters<Events[E]>[0]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (p: Parameters<Events[E]>[0]) => void)(payload);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  protected removeAllListeners(): void {
    this.listeners.clear();
  }
}
