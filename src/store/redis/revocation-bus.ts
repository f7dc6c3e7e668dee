/**
 * Revocations travel between nodes on one Redis pub/sub channel, so every worker of every node learns them
 * as they happen and checks them in its own memory: no lookup per request.
 *
 * Messages (text, one per event):
 *   `n <user id> <epoch s>`   revoke-all: the user's tokens issued at or before that second are refused
 *   `b <exp> <jti>`           a refresh token was blacklisted (explicitly or by rotation); expires at exp
 *
 * Token families need no message: revoking a family blacklists every member in the shared database inside the
 * rotation transaction, and every refresh consults that database (atomically) anyway.
 *
 * Pub/sub delivers at most once: a message published while a node is disconnected is lost to it. So a worker
 * whose subscription comes back calls `resync`, which drops its cached users (they reload with the
 * database's tokens_not_before), and the user cache never keeps an entry longer than its maximum age
 * (userCacheMaxAge). Blacklisted jtis lost this way cost nothing: the database answers for them.
 */
import type { Logger } from '../../log/logger.js';
import { OutageLog } from './outage-log.js';
import { createRedisClient, reasonOf, type RedisClient, type RedisLink } from './redis-link.js';

export const REVOCATION_CHANNEL = 'gatehouse:revocations';

export interface RevocationEvents {
  notBefore(userId: number, epochSec: number): void;
  blacklisted(jti: string, expiresAt: number): void;
  /** The subscription was lost and is back: messages may have been missed. */
  resync(): void;
}

const MAX_JTI_LENGTH = 255;

export class RevocationBus {
  private subscriber: RedisClient | null = null;
  readonly outage: OutageLog;
  private closed = false;

  constructor(
    private readonly url: string,
    /** The worker's command connection, used to publish. */
    private readonly publisher: RedisLink,
    logger: Logger | null,
    private readonly channel = REVOCATION_CHANNEL,
  ) {
    this.outage = new OutageLog(logger, 'revocation bus');
  }

  publishNotBefore(userId: number, epochSec: number): void {
    this.publish(`n ${userId} ${epochSec}`);
  }

  publishBlacklisted(jti: string, expiresAt: number): void {
    if (jti.length > MAX_JTI_LENGTH) return;
    this.publish(`b ${expiresAt} ${jti}`);
  }

  /** Starts delivering other nodes' (and this node's) messages to `events`. Once per bus. */
  subscribe(events: RevocationEvents): void {
    if (this.subscriber !== null) throw new Error('the revocation bus is already subscribed');
    const client = createRedisClient(this.url, 'gatehouse-revocations');
    this.subscriber = client;
    let readyBefore = false;
    client.on('error', (error: unknown) => this.outage.down(reasonOf(error, this.url)));
    client.on('ready', () => {
      this.outage.up();
      // node-redis subscribes again by itself after a reconnection; what was published meanwhile is lost.
      if (readyBefore) events.resync();
      readyBefore = true;
    });
    client
      .connect()
      .then(() => client.subscribe(this.channel, (message) => dispatch(message, events)))
      .catch((error: unknown) => {
        if (!this.closed) this.outage.down(reasonOf(error, this.url));
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.subscriber;
    if (client !== null && client.isOpen) {
      try {
        await client.close();
      } catch {
        client.destroy();
      }
    }
  }

  private publish(message: string): void {
    const link = this.publisher;
    // While Redis is down the message is lost (the link has logged the outage); see the header for why that is safe.
    if (!link.usable) return;
    link.client.sendCommand(['PUBLISH', this.channel, message]).catch((error: unknown) => link.failed(error));
  }
}

/** Parses one message; anything malformed is ignored (the channel is ours, but Redis is shared infrastructure). */
export function dispatch(message: string, events: RevocationEvents): void {
  const kind = message.charCodeAt(0);
  if (kind === 0x6e /* n */) {
    const parts = message.split(' ');
    const userId = Number(parts[1]);
    const epochSec = Number(parts[2]);
    if (parts.length === 3 && Number.isSafeInteger(userId) && Number.isSafeInteger(epochSec))
      events.notBefore(userId, epochSec);
  } else if (kind === 0x62 /* b */) {
    const space = message.indexOf(' ', 2);
    const expiresAt = Number(message.slice(2, space));
    const jti = message.slice(space + 1);
    if (space > 2 && Number.isSafeInteger(expiresAt) && jti.length > 0 && jti.length <= MAX_JTI_LENGTH)
      events.blacklisted(jti, expiresAt);
  }
}
