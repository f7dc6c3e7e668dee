/**
 * The application module the throttle-ratio benchmark serves (GATEHOUSE_APP_MODULE): two routes identical in
 * everything — JWT authentication, IsAuthenticated, the same constant reply — except that one has a throttle.
 * The throttle's scope `bench` must have a rate (the benchmark sets a limit no run can reach, so every request
 * is admitted and counted: the store's full write path).
 */
import { constantReply, defineRoute, IsAuthenticated, type RouteDefinition } from '../../src/index.js';

const REPLY = constantReply(200, { message: 'hello' });

export function routes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/bench/throttled/',
      permission: IsAuthenticated,
      throttles: [{ scope: 'bench' }],
      handler: () => REPLY,
    }),
    defineRoute({
      method: 'GET',
      path: '/bench/unthrottled/',
      permission: IsAuthenticated,
      throttles: [],
      handler: () => REPLY,
    }),
  ];
}
