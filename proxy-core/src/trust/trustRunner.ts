import { spawnSync } from 'node:child_process';
import type { PlatformInfo } from './platform';
import { formatStep, needsSudo, type PlannedTarget, type TrustStep } from './trustPlan';

export interface TargetOutcome {
  id: string;
  label: string;
  ok: boolean;
  /** Commands not run because they need admin rights and there is no terminal to ask in. */
  needsAdmin?: string[];
  error?: string;
}

export interface RunOptions {
  platform: Pick<PlatformInfo, 'os' | 'isRoot'>;
  /** A terminal the user can type a sudo password into. Without one, admin steps are not run. */
  interactive: boolean;
  /** Each command is shown before it runs. */
  echo: (line: string) => void;
  exec?: (argv: string[], step: TrustStep, inheritStdio: boolean) => { code: number; output: string };
}

const defaultExec: NonNullable<RunOptions['exec']> = (argv, _step, inherit) => {
  const r = spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    stdio: inherit ? 'inherit' : 'pipe',
    timeout: inherit ? undefined : 120_000,
  });
  if (r.error) return { code: -1, output: r.error.message };
  return { code: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
};

/**
 * Runs each target's steps in order, stopping that target at its first failure; other targets
 * still run. Admin steps get a visible `sudo` (its password prompt goes to the user's terminal);
 * nothing is ever elevated without the user seeing the command.
 */
export function runPlan(
  targets: Array<Pick<PlannedTarget, 'id' | 'label' | 'steps'>>,
  opts: RunOptions,
): TargetOutcome[] {
  const exec = opts.exec ?? defaultExec;
  return targets.map((t) => {
    const sudoSteps = t.steps.filter((s) => needsSudo(s, opts.platform));
    if (sudoSteps.length && !opts.interactive) {
      return {
        id: t.id,
        label: t.label,
        ok: false,
        needsAdmin: t.steps.map((s) => formatStep(s, opts.platform)),
        error: 'needs admin rights and there is no terminal to ask for a password in',
      };
    }
    for (const step of t.steps) {
      const sudo = needsSudo(step, opts.platform);
      opts.echo(`$ ${formatStep(step, opts.platform)}`);
      const argv = sudo ? ['sudo', ...step.argv] : step.argv;
      const r = exec(argv, step, sudo);
      if (r.code !== 0 && !step.okCodes?.includes(r.code)) {
        const why = r.output.trim().split('\n').filter(Boolean).pop();
        return {
          id: t.id,
          label: t.label,
          ok: false,
          error: `${formatStep(step, opts.platform)} failed (exit ${r.code})${why ? `: ${why}` : ''}`,
        };
      }
    }
    return { id: t.id, label: t.label, ok: true };
  });
}
