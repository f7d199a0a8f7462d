/**
 * Production scaffolding (docs/scaffolding.md, docs/production.md): Traefik v3 static config, compose labels, stacks,
 * exports of the running routes to compose, Swarm and Kubernetes, and
 * migration from Traefik v1. Pure functions over text; the CLI and the editor only do I/O.
 * This module is the façade the editor and the CLI import; the work lives in the modules below.
 */
export type { DashboardOptions, LabelOptions, StackOptions, TraefikTomlOptions, Unmapped } from './types';
export { generateTraefikToml, generateDashboardConfig, LE_STAGING } from './traefikToml';
export { RESOLVER } from '../traefik/names';
export { generateComposeLabels, hostRule } from './composeLabels';
export { addLabelsToCompose } from './addLabels';
export { generateStack, TRAEFIK_IMAGE } from './stack';
export { migrateTraefikV1 } from './migrateV1';
export { migrateComposeLabels } from './migrateCompose';
export { parseCompose, serviceNames } from './composeEdit';
export { DEFAULT_NETWORK } from './dockerNetwork';
export {
  EXPORT_TARGETS,
  INGRESS_KINDS,
  PLACEHOLDER_EMAIL,
  checkExportOptions,
  exportRoutes,
  parseDomainMap,
  suggestDomainMap,
} from './export/index';
export type { ExportInput, ExportOptions, ExportResult, ExportTarget, IngressKind } from './export/index';
