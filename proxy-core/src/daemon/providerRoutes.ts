import type { ModeledContainer } from '../docker/containerModel';
import { LabelRoutes, LabelSourceOptions, deriveLabelRoutes } from '../docker/labelSource';
import type { FileProviderSnapshot } from '../traefik/fileProvider';
import { oncePerTick } from './oncePerTick';

/**
 * Traefik's two providers meet here: the Docker models and the file provider's configuration are
 * derived together, because routers of one may use middlewares and services of the other
 * (`auth@file` on a label router). Each side replaces its input; one derivation per tick follows,
 * handed to `apply` (the route service) whole.
 */
export class ProviderRoutes {
  private containers: ModeledContainer[] = [];
  private file?: FileProviderSnapshot;
  private readonly derive: () => void;
  last?: LabelRoutes;

  constructor(
    private readonly opts: LabelSourceOptions,
    apply: (routes: LabelRoutes) => void,
  ) {
    this.derive = oncePerTick(() => {
      this.last = deriveLabelRoutes(this.containers, this.file?.config, this.opts);
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

  /** The file provider's problems (bad files, routers not served), one line each, for the status. */
  fileProblems(): string[] {
    if (!this.file) return [];
    return [...this.file.problems, ...(this.last?.fileProblems ?? []).map((p) => `--traefik-dynamic: ${p}`)];
  }
}
