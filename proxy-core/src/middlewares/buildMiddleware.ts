// TEMPORARY stub until the middlewares branch is merged.
import type { Exchange, Middleware, MiddlewareSpec } from './types';
export function checkMiddleware(spec: MiddlewareSpec): string | undefined {
  return `middleware ${spec.name} (${spec.type}) is not implemented yet`;
}
export function buildMiddleware(spec: MiddlewareSpec): Middleware {
  throw new Error(checkMiddleware(spec));
}
export function runMiddlewares(list: Middleware[], ex: Exchange): boolean | Promise<boolean> {
  void ex;
  return list.length === 0;
}
