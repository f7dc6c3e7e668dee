/**
 * The only place that loads uWebSockets.js.
 *
 * The package's own entry point silently falls back to a pure-JavaScript implementation when the native
 * binary does not load (or when UWS_USE_FALLBACK is set). That fallback is an order of magnitude slower and
 * behaves differently, so Gatehouse loads the native binary directly and refuses to start without it.
 */
import { createRequire } from 'node:module';
import type * as Uws from '@trufflesuite/uws-js-unofficial';

export type {
  HttpRequest,
  HttpResponse,
  TemplatedApp,
  us_listen_socket,
} from '@trufflesuite/uws-js-unofficial';

const require = createRequire(import.meta.url);

function loadNativeUws(): typeof Uws {
  const binary = `@trufflesuite/uws-js-unofficial/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  try {
    return require(binary) as typeof Uws;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(
      `the native uWebSockets.js binary for ${process.platform}-${process.arch} (Node ABI ${process.versions.modules}) ` +
        `did not load (${reason}); Gatehouse does not run on the pure-JavaScript fallback`,
      { cause: error },
    );
  }
}

export const uws: typeof Uws = loadNativeUws();
