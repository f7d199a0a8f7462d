import type { ModeledContainer } from '../docker/containerModel';
import { AutoDomainsMode, ProbeResults, deriveAutoRoutes } from '../docker/autoDomains';
import { LabelRoutes, LabelSourceOptions, deriveLabelRoutes } from '../docker/labelSource';
import type { AutoDomain } from '../docker/types';
import { ANY_HOST } from '../routes/routerIndex';
import type { RouteRecord } from '../routes/types';
import type { FileProviderSnapshot } from '../traefik/fileProvider';
import { oncePerTick } from './oncePerTick';

export interface ProviderRoutesOptions extends LabelSourceOptions {
  /** Routes from container labels (serve --no-labels turns them off; automatic names stay). */
  labels: boolean;
  /** serve --auto-domains. */
  autoDomains: AutoDomainsMode;
  /** The DNS suffix of automatic names. */
  autoSuffix: string;
  /** Why containers are reached through published ports only, when they are (docker/discovery.ts publishedOnly). */
  publishedOnly?: () => string | undefined;
}

/** What one derivation found: label and file routes, automatic names, and per container what to show. */
export interface ProviderFound extends LabelRoutes {
  /** Routes for the table's 'auto' source. */
  autoRecords: RouteRecord[];
  /** Per container name: its automatic name or why it has none. */
  autoDomains: Map<string, AutoDomain>;
  /** Automatic names known before they are routed: their certificates are issued now (docker/autoDomains.ts). */
  autoUpcoming: string[];
}

/**
 * Traefik's two providers meet here: the Docker models and the file provider's configuration are
 * derived together, because routers of one may use middlewares and services of the other
 * (`auth@file` on a label router). The automatic container names follow in the same derivation,
 * so a host that a label or file router serves is known to be taken. Each side replaces its
 * input (models, file configuration, port probe results); one derivation per tick follows,
 * handed to `apply` (the route service) whole.
 */
export class ProviderRoutes {
  private containers: ModeledContainer[] = [];
  private file?: FileProviderSnapshot;
  private probes: ProbeResults = new Map();
  private readonly derive: () => void;
  last?: ProviderFound;

  constructor(
    private readonly opts: ProviderRoutesOptions,
    apply: (routes: ProviderFound) => void,
  ) {
    this.derive = oncePerTick(() => {
      this.last = derive(this.containers, this.file, this.probes, this.opts);
      apply(this.last);
    });
  }

  setContainers(models: ModeledContainer[]): void {
    this.containers = models;
    this.derive();
  }

  setFile(snapshot: FileProviderSnapshot): void {
    this.file = snapshot;
    this.derive();
  }

  setProbes(results: ProbeResults): void {
    this.probes = results;
    this.derive();
  }

  /** The file provider's problems (bad files, routers not served), one line each, for the status. */
  fileProblems(): string[] {
    if (!this.file) return [];
    return [...this.file.problems, ...(this.last?.fileProblems ?? []).map((p) => `--traefik-dynamic: ${p}`)];
  }
}

function derive(
  containers: ModeledContainer[],
  file: FileProviderSnapshot | undefined,
  probes: ProbeResults,
  opts: ProviderRoutesOptions,
): ProviderFound {
  const labels = deriveLabelRoutes(opts.labels ? containers : [], file?.config, opts);
  const claimed = new Map<string, string>();
  for (const r of [...labels.records, ...labels.fileRecords]) {
    if (r.host === ANY_HOST || claimed.has(r.host)) continue;
    const container = r.container ? ` of container ${r.container}` : '';
    claimed.set(r.host, r.router ? `router ${r.router}${container}` : `the labels${container}`);
  }
  // With both off, no label is read at all (not even to report a port label that does nothing).
  const auto = deriveAutoRoutes(opts.labels || opts.autoDomains !== 'off' ? containers : [], probes, {
    mode: opts.autoDomains,
    suffix: opts.autoSuffix,
    permits: opts.permits,
    claimed,
    publishedOnly: opts.publishedOnly?.(),
  });
  const problems = new Map(labels.problems);
  for (const [name, list] of auto.problems) problems.set(name, [...(problems.get(name) ?? []), ...list]);
  return {
    ...labels,
    problems,
    autoRecords: auto.records,
    autoDomains: auto.domains,
    autoUpcoming: auto.upcoming,
  };
}
