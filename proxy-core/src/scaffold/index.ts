/**
 * Production scaffolding (design §9): Traefik v3 static config, compose labels, stacks, and
 * migration from Traefik v1. Pure functions over text; the CLI and the editor only do I/O.
 * (Signatures fixed first so the editor and CLI can be built against them.)
 */
import { UserError } from '../errors';

export interface TraefikTomlOptions {
  email: string;
  /** Docker network Traefik reaches containers on. */
  network?: string;
  challenge?: 'http' | 'tls';
  staging?: boolean;
  dashboard?: 'off' | 'loopback' | 'basic-auth';
  dockerEndpoint?: string;
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** acme.json path inside the Traefik container. */
  storage?: string;
}

export interface LabelOptions {
  service: string;
  hosts: string[];
  port?: number;
  network?: string;
  entrypoint?: string;
  certResolver?: string;
}

export interface Unmapped {
  key: string;
  reason: string;
}

export function generateTraefikToml(_opts: TraefikTomlOptions): string {
  throw new UserError('generateTraefikToml is not implemented yet', 'ENOTIMPL');
}

export function generateComposeLabels(_opts: LabelOptions): string[] {
  throw new UserError('generateComposeLabels is not implemented yet', 'ENOTIMPL');
}

/** Adds or updates a service's traefik labels in compose YAML, keeping comments and layout. */
export function addLabelsToCompose(_composeText: string, _opts: LabelOptions): { text: string; changed: boolean } {
  throw new UserError('addLabelsToCompose is not implemented yet', 'ENOTIMPL');
}

export function generateStack(_opts: TraefikTomlOptions & LabelOptions & { image?: string }): { compose: string; traefikToml: string } {
  throw new UserError('generateStack is not implemented yet', 'ENOTIMPL');
}

/** Traefik v1 TOML → v3 TOML; everything not mapped is listed with its reason. */
export function migrateTraefikV1(_tomlText: string): { toml: string; unmapped: Unmapped[] } {
  throw new UserError('migrateTraefikV1 is not implemented yet', 'ENOTIMPL');
}

/** Traefik v1 labels in a compose file → v3 labels, keeping comments and layout. */
export function migrateComposeLabels(_composeText: string): { text: string; unmapped: Unmapped[] } {
  throw new UserError('migrateComposeLabels is not implemented yet', 'ENOTIMPL');
}
