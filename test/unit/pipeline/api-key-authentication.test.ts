/**
 * API keys (DRF's TokenAuthentication): the key format and its stored digest, header recognition and DRF's
 * messages, the per-worker key cache (hits, misses not cached, dropped when the database changes) and the scheme
 * (owner through the user cache, inactive owners refused, credentials reused for a cached key).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ApiKeyCache } from '../../../src/auth/api-keys/api-key-cache.js';
import {
  apiKeyHash,
  apiKeyHashText,
  generateApiKey,
  issueApiKey,
} from '../../../src/auth/api-keys/api-key.js';
import {
  apiKeyHeaderParser,
  createApiKeyAuthentication,
} from '../../../src/auth/schemes/api-key-authentication.js';
import { UserCache } from '../../../src/auth/user-cache.js';
import { ERRORS } from '../../../src/errors.js';
import type { ApiKeyRecord, ApiKeyStore, UserRecord, UserStore } from '../../../src/store/types.js';
import { fakeContext } from './fake-context.js';

describe('API key format', () => {
  it('is gh_ and 43 base64url characters (256 random bits); the prefix is the first 11 characters', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    assert.match(a.key, /^gh_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.key, b.key);
    assert.equal(a.prefix, a.key.slice(0, 11));
    assert.deepEqual(a.hash, createHash('sha256').update(a.key).digest());
    assert.deepEqual(apiKeyHash(a.key), a.hash);
    assert.equal(apiKeyHashText(a.key), a.hash.toString('base64'));
  });

  it('is stored as its digest and prefix only', async () => {
    const created: unknown[][] = [];
    const store = {
      create: (...args: unknown[]) => (
        created.push(args),
        { id: 7, prefix: args[2], userId: args[0], name: args[3], createdAt: args[4], revokedAt: null }
      ),
    } as unknown as ApiKeyStore;
    const { key, record } = await issueApiKey(store, 3, 'ci', new Date('2024-05-01T00:00:00Z'));
    assert.equal(record.id, 7);
    const [userId, hash, prefix, name, at] = created[0]!;
    assert.deepEqual([userId, prefix, name, at], [3, key.slice(0, 11), 'ci', '2024-05-01T00:00:00.000Z']);
    assert.deepEqual(hash, apiKeyHash(key));
    assert.ok(!JSON.stringify(created).includes(key.slice(11)), 'the key itself is not stored');
  });
});

describe('API key header (DRF TokenAuthentication)', () => {
  const parse = apiKeyHeaderParser('Token');

  it('reads the key after the keyword, compared case-insensitively', () => {
    for (const header of ['Token abc', 'token abc', 'TOKEN abc', '  Token \t abc  '])
      assert.equal(parse(header), 'abc', header);
  });

  it('does not recognise other schemes', () => {
    for (const header of ['', 'Bearer abc', 'Tokens abc', 'Basic abc', 'Tok abc'])
      assert.equal(parse(header), null, header);
  });

  it('answers DRF’s messages for a missing key, spaces and non-UTF-8 bytes', () => {
    assert.equal(parse('Token'), ERRORS.api_key_no_credentials);
    assert.equal(parse('Token  '), ERRORS.api_key_no_credentials);
    assert.equal(parse('Token a b'), ERRORS.api_key_spaces);
    // One character per header byte: "\u00e9" alone is the byte 0xE9, not UTF-8; "\u00c3\u00a9" is UTF-8 for é.
    assert.equal(parse('Token ab\u00e9'), ERRORS.api_key_invalid_characters);
    assert.equal(parse('Token a\u00c3\u00a9'), 'a\u00c3\u00a9');
    assert.equal(
      ERRORS.api_key_no_credentials.body,
      '{"detail":"Invalid token header. No credentials provided."}',
    );
    assert.equal(
      ERRORS.api_key_spaces.body,
      '{"detail":"Invalid token header. Token string should not contain spaces."}',
    );
    assert.equal(
      ERRORS.api_key_invalid_characters.body,
      '{"detail":"Invalid token header. Token string should not contain invalid characters."}',
    );
  });

  it('takes its keyword from configuration', () => {
    const custom = apiKeyHeaderParser('Api-Key');
    assert.equal(custom('Api-Key abc'), 'abc');
    assert.equal(custom('api-key abc'), 'abc');
    assert.equal(custom('Token abc'), null);
  });
});

/** A key store over a Map, counting lookups; `counter` plays SQLite's data_version. */
function fakeKeyStore(options: { async?: boolean } = {}) {
  const rows = new Map<string, ApiKeyRecord>();
  const state = { lookups: 0, counter: 1 };
  const store = {
    findByHash(hash: Buffer) {
      state.lookups++;
      const row = rows.get(hash.toString('base64')) ?? null;
      return options.async ? Promise.resolve(row) : row;
    },
  } as unknown as ApiKeyStore;
  const add = (key: string, id: number, userId: number): void => {
    rows.set(apiKeyHashText(key), {
      id,
      prefix: key.slice(0, 11),
      userId,
      name: `key ${id}`,
      createdAt: '2024-01-01T00:00:00Z',
      revokedAt: null,
    });
  };
  const revoke = (key: string): void => {
    rows.delete(apiKeyHashText(key));
    state.counter++;
  };
  return { store, add, revoke, state };
}

describe('API key cache', () => {
  it('answers hits from memory, asks the store on misses without caching them', () => {
    const { store, add, state } = fakeKeyStore();
    add('gh_one', 1, 10);
    const cache = new ApiKeyCache(store, () => state.counter);
    const first = cache.lookup(apiKeyHashText('gh_one'), 'gh_one');
    assert.deepEqual(first, { id: 1, userId: 10, token: { id: 1, prefix: 'gh_one', name: 'key 1' } });
    assert.equal(cache.lookup(apiKeyHashText('gh_one'), 'gh_one'), first);
    assert.equal(state.lookups, 1);
    assert.equal(cache.lookup(apiKeyHashText('gh_nope'), 'gh_nope'), null);
    assert.equal(cache.lookup(apiKeyHashText('gh_nope'), 'gh_nope'), null);
    assert.equal(state.lookups, 3);
  });

  it('drops everything when another process changed the database (revocation)', () => {
    const { store, add, revoke, state } = fakeKeyStore();
    add('gh_one', 1, 10);
    const cache = new ApiKeyCache(store, () => state.counter);
    assert.notEqual(cache.lookup(apiKeyHashText('gh_one'), 'gh_one'), null);
    revoke('gh_one');
    // Until the poll, the cached entry still answers (the documented ~100 ms window)…
    assert.notEqual(cache.lookup(apiKeyHashText('gh_one'), 'gh_one'), null);
    cache.poll();
    // …after it, the store is asked again and the key is gone.
    assert.equal(cache.lookup(apiKeyHashText('gh_one'), 'gh_one'), null);
  });

  it('polls on a timer once started (unref’d) and stops', async () => {
    const { store, add, revoke, state } = fakeKeyStore();
    add('gh_one', 1, 10);
    const cache = new ApiKeyCache(store, () => state.counter, { pollMs: 5 });
    cache.start();
    cache.lookup(apiKeyHashText('gh_one'), 'gh_one');
    revoke('gh_one');
    await new Promise((r) => setTimeout(r, 30));
    cache.stop();
    assert.equal(cache.lookup(apiKeyHashText('gh_one'), 'gh_one'), null);
  });

  it('works with an asynchronous store', async () => {
    const { store, add, state } = fakeKeyStore({ async: true });
    add('gh_one', 1, 10);
    const cache = new ApiKeyCache(store, () => state.counter);
    const pending = cache.lookup(apiKeyHashText('gh_one'), 'gh_one');
    assert.ok(pending instanceof Promise);
    assert.equal((await pending)?.userId, 10);
    assert.equal((cache.lookup(apiKeyHashText('gh_one'), 'gh_one') as { userId: number }).userId, 10);
  });
});

describe('API key scheme', () => {
  function setUp(keyword?: string) {
    const keys = fakeKeyStore();
    const users = new Map<number, UserRecord>();
    const user = (id: number, username: string, isActive = true): void => {
      users.set(id, {
        id,
        username,
        passwordHash: '!',
        isActive,
        isStaff: false,
        isSuperuser: false,
        dateJoined: '',
        lastLogin: null,
        tokensNotBefore: 0,
      });
    };
    const userStore = { findById: (id: number) => users.get(id) ?? null } as unknown as UserStore;
    const userCache = new UserCache(userStore, () => null, null);
    const scheme = createApiKeyAuthentication({
      keys: new ApiKeyCache(keys.store, () => keys.state.counter),
      users: userCache,
      ...(keyword ? { keyword } : {}),
    });
    const authenticate = (header: string) => scheme.authenticate(fakeContext({ authorization: header }));
    return { scheme, authenticate, keys, user };
  }

  it('authenticates a live key of an active user, synchronously, reusing the credentials object', () => {
    const { scheme, authenticate, keys, user } = setUp();
    user(10, 'alice');
    keys.add('gh_alice', 1, 10);
    assert.equal(scheme.name, 'apikey');
    assert.equal(scheme.challenge, 'Token');
    const credentials = authenticate('Token gh_alice');
    assert.deepEqual(credentials, {
      user: { id: 10, username: 'alice', isActive: true, isStaff: false, isSuperuser: false },
      scheme: 'apikey',
      token: { id: 1, prefix: 'gh_alice', name: 'key 1' },
    });
    assert.equal(authenticate('Token gh_alice'), credentials);
  });

  it('refuses unknown keys and keys of inactive or deleted users with DRF’s messages', () => {
    const { authenticate, keys, user } = setUp();
    user(11, 'ivan', false);
    keys.add('gh_ivan', 2, 11);
    keys.add('gh_ghost', 3, 99);
    assert.equal(authenticate('Token gh_unknown'), ERRORS.invalid_api_key);
    assert.equal(authenticate('Token gh_ivan'), ERRORS.api_key_user_inactive);
    assert.equal(authenticate('Token gh_ghost'), ERRORS.api_key_user_inactive);
    assert.equal(ERRORS.invalid_api_key.body, '{"detail":"Invalid token."}');
    assert.equal(ERRORS.api_key_user_inactive.body, '{"detail":"User inactive or deleted."}');
    assert.equal(authenticate('Bearer gh_ivan'), null);
  });

  it('uses the configured keyword as word and challenge', () => {
    const { scheme, authenticate, keys, user } = setUp('Api-Key');
    user(10, 'alice');
    keys.add('gh_alice', 1, 10);
    assert.equal(scheme.challenge, 'Api-Key');
    assert.equal((authenticate('Api-Key gh_alice') as { scheme: string }).scheme, 'apikey');
    assert.equal(authenticate('Token gh_alice'), null);
  });
});
