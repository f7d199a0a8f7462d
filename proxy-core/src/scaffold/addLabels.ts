import { httpNames, isV1Label } from '../traefik/labelKeys';
import { labelPairs } from './composeLabels';
import { editServiceLabels, effectiveLabels, parseCompose } from './composeEdit';
import { LabelOptions } from './types';

/** The single router (or service) name a service's labels already use, so updates reuse it. */
function existingName(keys: string[], kind: 'routers' | 'services'): string | undefined {
  const names = httpNames(keys, kind, true);
  return names.length === 1 ? names[0] : undefined;
}

/**
 * Adds or updates a service's traefik labels in compose YAML. Labels the service already has
 * under the same key are updated in place; a service that already has one router keeps its
 * name, so running this twice, or after editing by hand, never leaves a second router behind.
 */
export function addLabelsToCompose(
  composeText: string,
  opts: LabelOptions,
  what = 'The compose file',
): { text: string; changed: boolean; notes: string[] } {
  const keys = effectiveLabels(parseCompose(composeText, what), opts.service, what).map(([k]) => k);
  const pairs = labelPairs({
    ...opts,
    router: opts.router ?? existingName(keys, 'routers'),
    traefikService: opts.traefikService ?? existingName(keys, 'services'),
  });
  const v1 = keys.filter(isV1Label);
  const notes = v1.length
    ? [
        `Service "${opts.service}" also has Traefik v1 labels (${v1.join(', ')}); Traefik v3 ignores them. Convert or remove them: container-https migrate FILE`,
      ]
    : [];
  return { ...editServiceLabels(composeText, opts.service, { upsert: pairs }, what), notes };
}
