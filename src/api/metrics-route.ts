/**
 * GET /metrics: the Prometheus text of the whole cluster (src/metrics/). Readable only from the networks in
 * `metricsAllow` (loopback by default), judged on the client address as the rest of Gatehouse sees it:
 *  - a direct scrape is judged by its socket peer;
 *  - behind proxies listed in `trustedProxies`, by the client X-Forwarded-For names (the first untrusted hop),
 *    so a proxy on loopback does not make every client look local;
 *  - a request that carries X-Forwarded-For from a peer that is not a trusted proxy is refused: it came through
 *    a proxy Gatehouse was not told about, and the peer address (often loopback) says nothing about the client.
 */
import type { Config } from '../config/config-types.js';
import { ERRORS } from '../errors.js';
import { ProxyTrust } from '../http/client-address.js';
import { PROMETHEUS_CONTENT_TYPE, type AppMetrics } from '../metrics/app-metrics.js';
import { definePermission } from '../policies/permissions.js';
import { defineRoute, type RouteDefinition } from '../pipeline/define-route.js';
import type { Reply } from '../pipeline/types.js';

export const METRICS_PATH = '/metrics';

export function metricsRoutes(metrics: AppMetrics, config: Config): RouteDefinition[] {
  // ProxyTrust is the CIDR matcher of client-address.ts; here it holds the networks allowed to scrape.
  const allowed = new ProxyTrust(config.metricsAllow);
  const proxies = new ProxyTrust(config.trustedProxies);
  const fromAllowedNetwork = definePermission({
    hasPermission(ctx) {
      // Declared below: the server reads X-Forwarded-For for every request only when proxies are trusted.
      if (ctx.header('x-forwarded-for') !== '' && !proxies.isTrusted(ctx.peerAddress())) return false;
      return allowed.isTrusted(ctx.clientAddress());
    },
  });
  const render = async (): Promise<Reply | typeof ERRORS.service_unavailable> => {
    const text = await metrics.render();
    return text === null
      ? ERRORS.service_unavailable
      : { status: 200, body: text, contentType: PROMETHEUS_CONTENT_TYPE };
  };
  return [
    defineRoute({
      method: 'GET',
      path: METRICS_PATH,
      name: 'Metrics',
      description:
        'Prometheus metrics of every worker, aggregated (docs/operations.md). Only from the networks in `metricsAllow`.',
      authentication: [],
      headers: ['x-forwarded-for'],
      permission: fromAllowedNetwork,
      throttles: [],
      handler: render,
      openapi: {
        summary: 'Prometheus metrics',
        response: { type: 'string' },
        responseContentType: PROMETHEUS_CONTENT_TYPE,
        errorStatuses: [503],
      },
    }),
  ];
}
