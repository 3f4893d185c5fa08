import type { Leaf } from './settings.js';

/** Where a configuration value came from, for error messages and `--print-config`. */
export type Source =
  | { readonly kind: 'default' }
  | { readonly kind: 'file'; readonly file: string }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'flag'; readonly flag: string };

export interface Given {
  readonly raw: unknown;
  readonly source: Source;
}

export function describeSource(s: Source): string {
  switch (s.kind) {
    case 'default':
      return 'the default';
    case 'file':
      return `config file ${s.file}`;
    case 'env':
      return `environment variable ${s.name}`;
    case 'flag':
      return s.flag;
  }
}

export const flagName = (leaf: Leaf): string => `--${leaf.path}`;
export const envPrefix = 'SPICE_COMPANION_';
export const envName = (leaf: Leaf): string => `${envPrefix}${leaf.path.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
