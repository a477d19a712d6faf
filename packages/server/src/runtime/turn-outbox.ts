/**
 * Gathers what one turn of the event loop produces and hands it on together at the next turn (setImmediate). Across a
 * thread boundary a message costs more than the few items it carries, so each side posts once per turn
 * (docs/architecture.md: worker threads).
 */
export class TurnOutbox<T> {
  private items: T[] = [];

  constructor(private readonly handOn: (items: T[]) => void) {}

  push(item: T): void {
    if (this.items.length === 0) setImmediate(() => this.flush());
    this.items.push(item);
  }

  /** Hands on what is gathered now, without waiting for the turn to end (a close, a replaced thread). */
  flush(): void {
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.handOn(items);
  }

  /** What is gathered and not yet handed on. */
  get gathered(): readonly T[] {
    return this.items;
  }
}
