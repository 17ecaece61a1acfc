/** The calls still running, so a close can let them finish first and idle work can wait until there are none. */
export class InFlight {
  private readonly running = new Set<Promise<void>>();

  /** Remembers `run` until it settles (either way) and hands it back unchanged. */
  track<T>(run: Promise<T>): Promise<T> {
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
    return run;
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves once everything tracked so far has settled. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}
