/**
 * Kubernetes object names: lower-case RFC 1123 labels (letters, digits, "-"), starting with a
 * letter so they are valid Service names too (RFC 1035), at most 63 characters.
 */
export function k8sName(text: string, max = 63): string {
  let n = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(n)) n = `x-${n}`.replace(/-+$/, '');
  return n.slice(0, max).replace(/-+$/, '');
}

/** Unique names for one kind of object in one namespace: `web`, then `web-2`. */
export class K8sNames {
  private readonly taken = new Map<string, string>();
  private readonly used = new Set<string>();
  /** The same `key` always gets the same name. */
  name(key: string, wanted = key): string {
    const known = this.taken.get(key);
    if (known) return known;
    const base = k8sName(wanted, 58);
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}-${i}`;
    this.used.add(name);
    this.taken.set(key, name);
    return name;
  }
}
