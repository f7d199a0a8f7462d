/**
 * One string object for each of a few recurring values (host names): a thousand records of the
 * same host then hold one string, not a thousand (a host sliced from its header also holds the
 * whole header). Bounded: past `max` distinct values it starts over, so a client sending random
 * Host headers cannot grow it.
 */
export class Interner {
  private readonly seen = new Map<string, string>();

  constructor(private readonly max = 256) {}

  get(value: string): string {
    const known = this.seen.get(value);
    if (known !== undefined) return known;
    if (this.seen.size >= this.max) this.seen.clear();
    // A flat copy: not a slice holding its parent alive.
    const flat = value.length > 12 ? Buffer.from(value).toString() : value;
    this.seen.set(flat, flat);
    return flat;
  }
}

/** The hosts records name (this process's; each record keeps the one of its process). */
export const hosts = new Interner();
