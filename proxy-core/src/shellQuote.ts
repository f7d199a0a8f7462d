/**
 * A word as a POSIX shell reads it back unchanged: plain words as they are, anything else in
 * single quotes. Used wherever we print a command for the user to paste (trust steps, the
 * NODE_EXTRA_CA_CERTS line, the editor's terminal).
 */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
