import { spawn } from 'node:child_process';
import { AcmeIssueError } from './acmeErrors';

/**
 * DNS-01 through a user command, the way lego's exec provider does it:
 *   CMD present _acme-challenge.example.com. VALUE   (create the TXT record, return once it is live)
 *   CMD cleanup _acme-challenge.example.com. VALUE   (remove it)
 * The same values are also in the environment (ACME_ACTION, ACME_DOMAIN, ACME_TXT_NAME,
 * ACME_TXT_VALUE) for scripts that prefer that.
 */
export function runDnsHook(
  command: string,
  action: 'present' | 'cleanup',
  domain: string,
  value: string,
  timeoutMs = 180_000,
): Promise<void> {
  const fqdn = `_acme-challenge.${domain}.`;
  return new Promise((resolve, reject) => {
    // The command is a shell snippet the user configured; our values go in as "$@", never
    // spliced into the text, so nothing in them is interpreted by the shell.
    const child =
      process.platform === 'win32'
        ? spawn(`${command} ${action} ${fqdn} ${value}`, {
            shell: true,
            stdio: ['ignore', 'pipe', 'pipe'],
            env: hookEnv(action, domain, fqdn, value),
          })
        : spawn('/bin/sh', ['-c', `${command} "$@"`, 'acme-dns-hook', action, fqdn, value], {
            stdio: ['ignore', 'pipe', 'pipe'],
            env: hookEnv(action, domain, fqdn, value),
            detached: true,
          });
    let output = '';
    child.stdout.on('data', (d) => (output = (output + d).slice(-2000)));
    child.stderr.on('data', (d) => (output = (output + d).slice(-2000)));
    // A hook that hangs is stopped with everything it started (its process group).
    const timer = setTimeout(() => {
      try {
        if (process.platform !== 'win32' && child.pid) process.kill(-child.pid, 'SIGTERM');
        else child.kill('SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new AcmeIssueError(`The DNS hook (--acme-dns-hook) could not be started: ${err.message}.`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const last = (output.trim().split('\n').pop() ?? '').replace(/\.$/, '');
      const how = signal
        ? `was stopped (${signal}${signal === 'SIGTERM' ? `, after ${timeoutMs / 1000} s` : ''})`
        : `exited with ${code}`;
      reject(new AcmeIssueError(`The DNS hook "${command} ${action} ${fqdn} …" ${how}${last ? `: ${last}` : ''}.`));
    });
  });
}

function hookEnv(action: string, domain: string, fqdn: string, value: string): NodeJS.ProcessEnv {
  return { ...process.env, ACME_ACTION: action, ACME_DOMAIN: domain, ACME_TXT_NAME: fqdn, ACME_TXT_VALUE: value };
}
