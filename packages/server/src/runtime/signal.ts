/**
 * News that one part of a process rings and another hears, without either holding the other: the services
 * ring (a batch was created, an interaction ended), the background workers listen. Nobody may be listening
 * (a process that runs no workers): the store holds the work all the same, so only the haste is lost.
 */
export class Signal<Args extends unknown[] = []> {
  private readonly listeners: ((...args: Args) => void)[] = [];

  listen(listener: (...args: Args) => void): void {
    this.listeners.push(listener);
  }

  ring(...args: Args): void {
    for (const listener of this.listeners) listener(...args);
  }
}
