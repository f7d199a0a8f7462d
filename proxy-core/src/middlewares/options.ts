/** A middleware's options are wrong, or name something the local proxy does not do: `message` says which and how to fix it. */
export class OptionError extends Error {}

/** Go's strconv.ParseBool, which Traefik's label and file decoders use. */
const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/**
 * One middleware's options as the decoders hand them over: names in any case (Traefik's label
 * and file decoding ignores it: `stripprefix.prefixes` is `prefixes`), values typed (YAML, TOML)
 * or strings (labels: "true", "301", "a,b"). Each read names the option as Traefik's docs spell
 * it; `finish` then refuses whatever was not read, so a typo is reported instead of ignored.
 */
export class Options {
  private readonly entries = new Map<string, { key: string; value: unknown }>();
  private readonly asked: string[] = [];

  constructor(
    raw: Record<string, unknown>,
    /** For messages about nested options: "ipStrategy". */
    private readonly where = '',
  ) {
    for (const [key, value] of Object.entries(raw)) {
      const lower = key.toLowerCase();
      const seen = this.entries.get(lower);
      if (seen)
        throw new OptionError(`options ${seen.key} and ${key} are the same option (names ignore case); keep one`);
      this.entries.set(lower, { key, value });
    }
  }

  string(name: string): string | undefined {
    const value = this.take(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new OptionError(`option ${this.label(name)} must be a string`);
  }

  bool(name: string): boolean | undefined {
    const value = this.take(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' && TRUE.has(value.trim())) return true;
    if (typeof value === 'string' && FALSE.has(value.trim())) return false;
    throw new OptionError(`option ${this.label(name)} must be true or false, not ${JSON.stringify(value)}`);
  }

  int(name: string, min = -Infinity, max = Infinity): number | undefined {
    const value = this.take(name);
    if (value === undefined || value === null) return undefined;
    const n = typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isSafeInteger(n))
      throw new OptionError(`option ${this.label(name)} must be a whole number, not ${JSON.stringify(value)}`);
    if (n < min || n > max)
      throw new OptionError(
        `option ${this.label(name)} is ${n}; it must be ${max === Infinity ? `at least ${min}` : `between ${min} and ${max}`}`,
      );
    return n;
  }

  /** A list: an array (YAML, TOML) or one comma-separated string (labels). Items are trimmed. */
  list(name: string): string[] | undefined {
    const value = this.take(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value.split(',').map((s) => s.trim());
    if (Array.isArray(value))
      return value.map((item) => {
        if (typeof item === 'string') return item.trim();
        if (typeof item === 'number' || typeof item === 'boolean') return String(item);
        throw new OptionError(`option ${this.label(name)} must be a list of strings`);
      });
    throw new OptionError(`option ${this.label(name)} must be a list (in labels: comma-separated values)`);
  }

  /** A name → value map (customRequestHeaders): names as written, values as strings ('' kept). */
  map(name: string): Map<string, string> | undefined {
    const value = this.take(name);
    if (value === undefined || value === null) return undefined;
    if (!isPlainObject(value)) throw new OptionError(`option ${this.label(name)} must be a map of names to values`);
    const out = new Map<string, string>();
    for (const [key, v] of Object.entries(value)) {
      if (v === null || v === undefined) out.set(key, '');
      else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.set(key, String(v));
      else throw new OptionError(`option ${this.label(name)}.${key} must be a string`);
    }
    return out;
  }

  /**
   * Nested options (ipStrategy). A label may give it with no options of its own (`…ipstrategy=`
   * or `=true`, Traefik's allowEmpty): that is an empty set of options.
   */
  object(name: string): Options | undefined {
    const value = this.take(name);
    if (value === undefined || value === null) return undefined;
    const where = this.where ? `${this.where}.${name}` : name;
    if (value === '' || value === true || value === 'true') return new Options({}, where);
    if (!isPlainObject(value)) throw new OptionError(`option ${this.label(name)} must be a set of options`);
    return new Options(value, where);
  }

  /**
   * Refuses the options nobody read: Traefik's that the local proxy does not implement (listed in
   * `notImplemented`), and names Traefik does not have (a typo, a v1 name).
   */
  finish(notImplemented: readonly string[] = []): void {
    const left = [...this.entries.values()];
    if (left.length === 0) return;
    const { key } = left[0];
    const lower = key.toLowerCase();
    const traefik = notImplemented.find((n) => n.toLowerCase() === lower);
    const name = this.label(traefik ?? key);
    if (traefik) throw new OptionError(`option ${name} is not implemented by the local proxy; remove it for local use`);
    const known = [...new Set(this.asked), ...notImplemented].join(', ');
    throw new OptionError(
      `there is no option ${name}; the options${this.where ? ` of ${this.where}` : ''} are ${known}`,
    );
  }

  private label(name: string): string {
    return this.where ? `${this.where}.${name}` : name;
  }

  private take(name: string): unknown {
    this.asked.push(name);
    const lower = name.toLowerCase();
    const entry = this.entries.get(lower);
    if (!entry) return undefined;
    this.entries.delete(lower);
    return entry.value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
