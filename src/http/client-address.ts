/**
 * The client's address, as throttles and logs see it. By default the socket peer. Behind proxies, the
 * X-Forwarded-For header is believed only when the peer is in the configured trusted networks, and then walked
 * from the right past every trusted hop: the first untrusted address is the client. A client can therefore
 * never choose its own throttle bucket by sending the header itself (its value sits left of what the trusted
 * proxy appended and is never reached while the hops to its right are trusted).
 */
import { isIP } from 'node:net';

interface Network {
  readonly family: 4 | 6;
  readonly words: Uint32Array;
  readonly mask: Uint32Array;
}

export class ProxyTrust {
  private readonly networks: readonly Network[];
  /** Peer address → trusted; few distinct proxy addresses exist, so this stays small. Bounded anyway. */
  private readonly cache = new Map<string, boolean>();

  constructor(cidrs: readonly string[]) {
    this.networks = cidrs.map(parseNetwork);
  }

  get enabled(): boolean {
    return this.networks.length > 0;
  }

  isTrusted(address: string): boolean {
    if (this.networks.length === 0) return false;
    let trusted = this.cache.get(address);
    if (trusted === undefined) {
      trusted = this.matches(address);
      if (this.cache.size >= 4096) this.cache.clear();
      this.cache.set(address, trusted);
    }
    return trusted;
  }

  /** The client address for a request from `peer` carrying `forwardedFor` (may be empty). */
  clientAddress(peer: string, forwardedFor: string): string {
    if (forwardedFor === '' || !this.isTrusted(peer)) return peer;
    let hop = peer;
    let end = forwardedFor.length;
    while (end > 0) {
      const comma = forwardedFor.lastIndexOf(',', end - 1);
      const entry = forwardedFor.slice(comma + 1, end).trim();
      end = comma < 0 ? 0 : comma;
      if (entry === '') continue;
      const address = normaliseAddress(entry);
      // A trusted hop reported something that is not an address: the last trusted hop is all we know.
      if (address === null) return hop;
      if (!this.isTrusted(address)) return address;
      hop = address;
    }
    return hop;
  }

  private matches(address: string): boolean {
    const parsed = toWords(address);
    if (parsed === null) return false;
    for (const network of this.networks) {
      if (network.family !== parsed.family) continue;
      let ok = true;
      for (let i = 0; i < network.words.length && ok; i++) {
        if ((parsed.words[i]! & network.mask[i]!) >>> 0 !== network.words[i]) ok = false;
      }
      if (ok) return true;
    }
    return false;
  }
}

/** Strips an optional port or IPv6 brackets that some proxies include; null when not an IP address. */
function normaliseAddress(entry: string): string | null {
  if (isIP(entry) !== 0) return entry;
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::\d+)?$/.exec(entry);
  if (bracketed && isIP(bracketed[1]!) === 6) return bracketed[1]!;
  const withPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(entry);
  if (withPort && isIP(withPort[1]!) === 4) return withPort[1]!;
  return null;
}

function toWords(address: string): { family: 4 | 6; words: Uint32Array } | null {
  const family = isIP(address);
  if (family === 4) {
    const parts = address.split('.').map(Number);
    return {
      family: 4,
      words: Uint32Array.of(((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0),
    };
  }
  if (family === 6) {
    let text = address.toLowerCase();
    const zone = text.indexOf('%');
    if (zone >= 0) text = text.slice(0, zone);
    // IPv4-mapped (::ffff:a.b.c.d) compares as IPv4, so one "127.0.0.1/8" entry covers both socket forms.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (mapped) return toWords(mapped[1]!);
    let groups: number[];
    const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (tail) {
      const v4 = tail[1]!.split('.').map(Number);
      text =
        text.slice(0, -tail[1]!.length) +
        ((v4[0]! << 8) | v4[1]!).toString(16) +
        ':' +
        ((v4[2]! << 8) | v4[3]!).toString(16);
    }
    const [head, rest] = text.split('::') as [string, string | undefined];
    const headGroups = head === '' ? [] : head.split(':').map((g) => parseInt(g, 16));
    if (rest === undefined) groups = headGroups;
    else {
      const restGroups = rest === '' ? [] : rest.split(':').map((g) => parseInt(g, 16));
      groups = [
        ...headGroups,
        ...new Array<number>(8 - headGroups.length - restGroups.length).fill(0),
        ...restGroups,
      ];
    }
    const words = new Uint32Array(4);
    for (let i = 0; i < 4; i++) words[i] = ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0;
    return { family: 6, words };
  }
  return null;
}

function parseNetwork(cidr: string): Network {
  const [address, bitsText] = cidr.split('/') as [string, string | undefined];
  const parsed = toWords(address);
  if (parsed === null) throw new Error(`not an IP network: ${cidr}`);
  const width = parsed.family === 4 ? 32 : 128;
  // "::ffff:10.0.0.0/104" style mapped networks are rare; mapped addresses were converted to IPv4 above.
  let bits = bitsText === undefined ? width : Number(bitsText);
  if (isIP(address) === 6 && parsed.family === 4) bits = Math.max(0, bits - 96);
  const mask = new Uint32Array(parsed.words.length);
  for (let i = 0; i < mask.length; i++) {
    const take = Math.max(0, Math.min(32, bits - 32 * i));
    mask[i] = take === 0 ? 0 : (0xffffffff << (32 - take)) >>> 0;
  }
  const words = parsed.words.map((w, i) => (w & mask[i]!) >>> 0);
  return { family: parsed.family, words, mask };
}
