import * as YAML from 'yaml';
import { editServiceLabels, effectiveLabels, parseCompose, serviceNames } from './composeEdit';
import { isV1Label } from '../traefik/labelKeys';
import { LabelMigrationOptions, migrateLabelPairs } from './migrateLabels';
import { Unmapped } from './types';

/**
 * Traefik v1 labels in a compose file → v3 labels, service by service, keeping comments and
 * layout (the edits go through editServiceLabels). Labels that cannot be mapped stay in place
 * and are reported, so the file never loses information.
 */
export function migrateComposeLabels(
  composeText: string,
  opts: LabelMigrationOptions = {},
  what = 'The compose file',
): { text: string; unmapped: Unmapped[] } {
  const doc = parseCompose(composeText, what);
  let text = composeText;
  const unmapped: Unmapped[] = [];
  for (const service of serviceNames(doc)) {
    const labels = effectiveLabels(doc, service, what);
    if (labels.some(([k]) => isV1Label(k))) {
      const m = migrateLabelPairs(labels, service, opts);
      unmapped.push(...m.unmapped);
      const replaced = new Set(m.replaced.map((k) => k.toLowerCase()));
      text = editServiceLabels(
        text,
        service,
        { upsert: m.labels, remove: (k) => replaced.has(k.toLowerCase()) },
        what,
      ).text;
    }
    unmapped.push(...traefikServiceNotes(doc, service));
  }
  return { text, unmapped };
}

/** The Traefik container itself: an untagged or v1 image, and a dashboard port open to all. */
function traefikServiceNotes(doc: YAML.Document.Parsed, service: string): Unmapped[] {
  const svc = (doc.get('services') as YAML.YAMLMap).get(service);
  if (!YAML.isMap(svc)) return [];
  const image = String(svc.get('image') ?? '');
  if (!/^traefik(:|$)/.test(image)) return [];
  const notes: Unmapped[] = [];
  if (!/^traefik:v?[23]/.test(image)) {
    notes.push({
      key: `${service}: image ${image}`,
      reason:
        'set image: traefik:v3 (and pin a minor) together with the migrated traefik.toml; an untagged image pulls whatever is latest',
    });
  }
  const ports = svc.get('ports');
  if (
    YAML.isSeq(ports) &&
    ports.items.some((p) => /^(0\.0\.0\.0:)?8080:8080$/.test(String(YAML.isScalar(p) ? p.value : '')))
  ) {
    notes.push({
      key: `${service}: ports 8080:8080`,
      reason:
        'the migrated dashboard listens on 127.0.0.1 inside the container, so this port reaches nothing; remove it, or use container-https scaffold traefik --dashboard basic-auth to reach the dashboard over HTTPS',
    });
  }
  return notes;
}
