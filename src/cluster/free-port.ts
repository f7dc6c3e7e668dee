/**
 * Port 0 ("any free port") for a cluster. Every worker must bind the same port, but a socket bound to port 0
 * with SO_REUSEPORT does not accept others into its group on Linux (the kernel keeps automatically chosen
 * ports exclusive), so letting the first worker pick the port leaves the others failing with EADDRINUSE. The
 * supervisor picks the port instead: it binds port 0 itself, reads the number, closes, and hands the number to
 * every worker. Another process could take the port in between; start-up then fails loudly, and production
 * configures a fixed port anyway.
 */
import { createServer } from 'node:net';

export function pickFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port: 0, exclusive: true }, () => {
      const address = probe.address();
      probe.close(() =>
        address !== null && typeof address === 'object'
          ? resolve(address.port)
          : reject(new Error(`cannot pick a free port on ${host}`)),
      );
    });
  });
}
