/**
 * The start-up check of GATEHOUSE_REDIS_URL: connect once (no retries), PING, and load the throttle script
 * (which also proves that the account may run scripts). A process that cannot do this refuses to start,
 * with a message naming the server but never its credentials.
 */
import { redactUrl } from '../redact-url.js';
import { reasonOf, redisDriver, type RedisClient } from './redis-link.js';
import { THROTTLE_SCRIPT } from './throttle-script.js';

export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

export async function checkRedis(url: string, timeoutMs = 5000): Promise<void> {
  const where = `Redis at ${redactUrl(url)} (GATEHOUSE_REDIS_URL)`;
  let client: RedisClient;
  try {
    client = redisDriver().createClient({
      url,
      socket: { connectTimeout: timeoutMs, reconnectStrategy: false },
    });
  } catch (error) {
    throw new BackendUnavailableError(`${where}: not a usable redis:// URL (${reasonOf(error, url)})`);
  }
  client.on('error', () => undefined); // reported through the rejected promise below
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.ping();
        await client.sendCommand(['SCRIPT', 'LOAD', THROTTLE_SCRIPT]);
      })(),
      deadline,
    ]);
  } catch (error) {
    throw new BackendUnavailableError(
      `${where} is unreachable or refused the connection: ${reasonOf(error, url)}`,
    );
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
}
