import * as path from 'node:path';
import { UserError } from '../../errors';
import { DEFAULT_NETWORK, checkNetwork } from '../dockerNetwork';
import { checkEmail } from '../traefikToml';
import { parseDomainMap } from './domainMap';
import { planExport } from './exportPlan';
import { toCompose } from './toCompose';
import { toKubernetes } from './toKubernetes';
import { toSwarm } from './toSwarm';
import {
  DomainMapping,
  EXPORT_TARGETS,
  ExportFile,
  ExportInput,
  ExportOptions,
  ExportResult,
  INGRESS_KINDS,
} from './types';

/**
 * `scaffold export` (docs/production.md): the routes running here as production configuration
 * for one VPS (compose), Docker Swarm or Kubernetes. Plain data in, files and notes out; the
 * CLI and the editor read the daemon and write the files.
 */

/** Written when no e-mail is given; Let's Encrypt refuses example.com contacts, so it cannot go live unnoticed. */
export const PLACEHOLDER_EMAIL = 'you@example.com';

interface CheckedOptions {
  mappings: DomainMapping[];
  email: string;
  network: string;
}

/** Checks the options alone (the CLI does before it asks the daemon); throws a one-line UserError. */
export function checkExportOptions(opts: ExportOptions): CheckedOptions {
  if (!EXPORT_TARGETS.includes(opts.to))
    throw new UserError(`--to must be one of ${EXPORT_TARGETS.join(', ')}, not "${String(opts.to)}".`, 'EUSAGE');
  if (opts.ingress !== undefined && !INGRESS_KINDS.includes(opts.ingress))
    throw new UserError(
      `--ingress must be one of ${INGRESS_KINDS.join(', ')}, not "${String(opts.ingress)}".`,
      'EUSAGE',
    );
  if (opts.ingress !== undefined && opts.to !== 'k8s')
    throw new UserError('--ingress applies to --to k8s only.', 'EUSAGE');
  const mappings =
    opts.domainMap === undefined
      ? []
      : typeof opts.domainMap === 'string'
        ? parseDomainMap(opts.domainMap)
        : opts.domainMap;
  const email = opts.email === undefined ? PLACEHOLDER_EMAIL : checkEmail(opts.email);
  const network = checkNetwork(opts.network ?? DEFAULT_NETWORK);
  return { mappings, email, network };
}

export function exportRoutes(input: ExportInput, opts: ExportOptions): ExportResult {
  const { mappings, email, network } = checkExportOptions(opts);
  const plan = planExport(input, mappings);
  const notes = [...plan.notes];
  if (!plan.routers.length) {
    notes.push(
      input.routes.length
        ? 'None of the routes reaches a container, so there is nothing to export.'
        : 'There are no routes to export: expose a container first (container-https expose app.localhost container:NAME).',
    );
    return { files: [], notes };
  }
  const generated =
    opts.to === 'compose'
      ? toCompose(plan, { email, network, staging: opts.staging })
      : opts.to === 'swarm'
        ? toSwarm(plan, { email, network, staging: opts.staging })
        : toKubernetes(plan, { email, ingress: opts.ingress ?? 'traefik', staging: opts.staging });
  notes.push(...generated.notes);
  if (opts.email === undefined)
    notes.push(
      `Let's Encrypt needs your e-mail: replace ${PLACEHOLDER_EMAIL} in the files, or export again with --email.`,
    );
  const files: ExportFile[] = generated.files.map((f) => ({
    path: opts.out ? path.join(opts.out, f.path) : f.path,
    text: f.text,
  }));
  notes.push(nextStep(opts, opts.out ?? '.'));
  return { files, notes: [...new Set(notes)] };
}

function nextStep(opts: ExportOptions, dir: string): string {
  const cd = dir === '.' ? '' : `cd ${dir} && `;
  if (opts.to === 'compose') return `Next, on the server: ${cd}docker compose up -d`;
  if (opts.to === 'swarm') return `Next, on a manager: ${cd}docker stack deploy -c stack.yml app`;
  const helm = 'helm install traefik traefik/traefik -n traefik --create-namespace -f helm/traefik-values.yaml';
  return `Next: ${cd}${helm}${opts.ingress === 'standard' ? ', install cert-manager' : ''} (docs/production.md), then kubectl apply -f k8s/`;
}

export { parseDomainMap, suggestDomainMap } from './domainMap';
export type { DomainMapping, ExportInput, ExportOptions, ExportResult, ExportTarget, IngressKind } from './types';
export { EXPORT_TARGETS, INGRESS_KINDS } from './types';
