// Replaced by esbuild's define at bundle time; the fallback serves tests run from tsc output.
declare const __VERSION__: string | undefined;
export const VERSION: string = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';
