import { ROUTER, httpNames, isV1Label, middlewareKey, routerKey } from '../traefik/labelKeys';
import { traefikName } from '../traefik/names';
import { labelPairs, stripPrefixName } from './composeLabels';
import { editServiceLabels, effectiveLabels, parseCompose, serviceNames } from './composeEdit';
import { composeEscape } from './export/routerLabels';
import { LabelOptions } from './types';

/** The single router (or service) name a service's labels already use, so updates reuse it. */
function existingName(keys: string[], kind: 'routers' | 'services'): string | undefined {
  const names = httpNames(keys, kind, true);
  return names.length === 1 ? names[0] : undefined;
}

const startsWith = (key: string, prefix: string) => key.toLowerCase().startsWith(prefix.toLowerCase());

/**
 * Adds or updates a service's traefik labels in compose YAML. Labels the service already has
 * under the same key are updated in place; a service that already has one router keeps its
 * name, so running this twice, or after editing by hand, never leaves a second router behind.
 * Labels this run does not set are kept, and a note names the ones that change what the router
 * does (a priority, middlewares, the stripprefix of an earlier --strip-prefix).
 */
export function addLabelsToCompose(
  composeText: string,
  opts: LabelOptions,
  what = 'The compose file',
): { text: string; changed: boolean; notes: string[] } {
  const doc = parseCompose(composeText, what);
  const keys = effectiveLabels(doc, opts.service, what).map(([k]) => k);
  const router = opts.router ?? existingName(keys, 'routers');
  const pairs = labelPairs({
    ...opts,
    router,
    traefikService: opts.traefikService ?? existingName(keys, 'services'),
  });
  const name = traefikName(router ?? opts.service);
  const notes: string[] = [];
  const v1 = keys.filter(isV1Label);
  if (v1.length)
    notes.push(
      `Service "${opts.service}" also has Traefik v1 labels (${v1.join(', ')}); Traefik v3 ignores them. Convert or remove them: container-https migrate FILE`,
    );

  const written = new Set(pairs.map(([k]) => k.toLowerCase()));
  const kept = keys.filter(
    (k) =>
      !written.has(k.toLowerCase()) &&
      ([ROUTER.priority, ROUTER.middlewares].some((o) => k.toLowerCase() === routerKey(name, o).toLowerCase()) ||
        startsWith(k, middlewareKey(stripPrefixName(name), ''))),
  );
  if (kept.length)
    notes.push(
      `Service "${opts.service}" keeps ${kept.join(', ')}, which these options do not set; remove ${kept.length === 1 ? 'it' : 'them'} if ${kept.length === 1 ? 'it no longer applies' : 'they no longer apply'}.`,
    );

  // A reference to a middleware of the Docker provider needs labels that define it somewhere.
  const everyKey = serviceNames(doc).flatMap((s) => effectiveLabels(doc, s, what).map(([k]) => k));
  for (const ref of opts.middlewares ?? []) {
    const [base, provider] = ref.split('@');
    if (provider !== undefined && provider !== 'docker') continue;
    if (!everyKey.some((k) => startsWith(k, middlewareKey(base, ''))))
      notes.push(
        `Middleware ${ref} is not defined by the labels of any service in ${what}; Traefik will not start router ${name} until it exists (labels traefik.http.middlewares.${base}.<type>.<option> on a container, or ${base}@file).`,
      );
  }
  const upsert = pairs.map(([k, v]) => [k, composeEscape(v)] as [string, string]);
  return { ...editServiceLabels(composeText, opts.service, { upsert }, what), notes };
}
