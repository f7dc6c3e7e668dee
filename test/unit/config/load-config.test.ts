import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, isValidCidr, loadConfig } from '../../../src/config/load-config.js';
import { SETTINGS } from '../../../src/config/settings.js';

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  assert.fail('expected a ConfigError');
}

function configFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-config-'));
  const path = join(dir, 'gatehouse.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({ env: {} });
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 8000);
    assert.equal(c.tokens.accessLifetimeSec, 300);
    assert.equal(c.tokens.refreshLifetimeSec, 86_400);
    assert.equal(c.tokens.rotateRefreshTokens, true);
    assert.equal(c.tokens.blacklistAfterRotation, true);
    assert.equal(c.tokens.updateLastLogin, true);
    assert.deepEqual(c.tokens.authHeaderTypes, ['Bearer']);
    assert.deepEqual(c.throttle.rates, { anon: '1000/min', user: '100000/min', limited: '5/min' });
    assert.equal(c.tokens.signingKey, null);
    assert.equal(c.exampleApi, true);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.tokens) && Object.isFrozen(c.throttle.rates));
  });

  it('lets flags win over the environment and the environment over the file', () => {
    const file = configFile({ port: 7001, host: '0.0.0.0', workers: 3 });
    const c = loadConfig({
      flags: { port: '7003', configFile: file },
      env: { GATEHOUSE_PORT: '7002', GATEHOUSE_HOST: '127.0.0.2' },
    });
    assert.equal(c.port, 7003);
    assert.equal(c.host, '127.0.0.2');
    assert.equal(c.workers, 3);
    assert.equal(c.configFile, file);
  });

  it('reads the config file named by GATEHOUSE_CONFIG', () => {
    const file = configFile({ accessTokenLifetime: '5m', throttleRates: { anon: '10/s' } });
    const c = loadConfig({ env: { GATEHOUSE_CONFIG: file } });
    assert.equal(c.tokens.accessLifetimeSec, 300);
    assert.deepEqual(c.throttle.rates, { anon: '10/s' });
  });

  it('parses durations, lists, booleans and rate maps from the environment', () => {
    const c = loadConfig({
      env: {
        GATEHOUSE_ACCESS_TOKEN_LIFETIME: '1h',
        GATEHOUSE_ROTATE_REFRESH_TOKENS: 'off',
        GATEHOUSE_AUTH_HEADER_TYPES: 'Bearer, JWT',
        GATEHOUSE_THROTTLE_RATES: 'anon=1000/min,user=100000/min,limited=5/min,burst=10/5m',
        GATEHOUSE_TRUSTED_PROXIES: '10.0.0.0/8,::1',
      },
    });
    assert.equal(c.tokens.accessLifetimeSec, 3600);
    assert.equal(c.tokens.rotateRefreshTokens, false);
    assert.deepEqual(c.tokens.authHeaderTypes, ['Bearer', 'JWT']);
    assert.equal(c.throttle.rates['burst'], '10/5m');
    assert.deepEqual(c.trustedProxies, ['10.0.0.0/8', '::1']);
  });

  it('reports every problem at once, naming the key and what was expected', () => {
    const file = configFile({ port: 'eighty', unknownKey: 1, throttleRates: { anon: 'lots' } });
    const problems = problemsOf(() =>
      loadConfig({
        flags: { configFile: file, workers: '0' },
        env: {
          GATEHOUSE_ROTATE_REFRESH_TOKENS: 'maybe',
          GATEHOUSE_NOT_A_SETTING: '1',
          GATEHOUSE_TRUSTED_PROXIES: '10.0.0.0/99',
        },
      }),
    );
    const text = problems.join('\n');
    assert.ok(problems.length >= 6, text);
    assert.match(text, /"port": expected an integer from 0 to 65535/);
    assert.match(text, /unknown key "unknownKey"/);
    assert.match(text, /--workers: expected an integer from 1 to 256/);
    assert.match(text, /GATEHOUSE_ROTATE_REFRESH_TOKENS: expected a boolean/);
    assert.match(text, /GATEHOUSE_NOT_A_SETTING: unknown environment variable/);
    assert.match(text, /throttleRates: anon: expected a rate/);
    assert.match(text, /trustedProxies/);
  });

  it('refuses a config file that is not a JSON object, or cannot be read', () => {
    assert.match(
      problemsOf(() => loadConfig({ flags: { configFile: configFile('{nope') }, env: {} })).join(),
      /not valid JSON/,
    );
    assert.match(
      problemsOf(() => loadConfig({ flags: { configFile: configFile('[1]') }, env: {} })).join(),
      /JSON object/,
    );
    assert.match(
      problemsOf(() => loadConfig({ flags: { configFile: '/nonexistent/gh.json' }, env: {} })).join(),
      /cannot be read/,
    );
  });

  it('requires a PEM key for asymmetric algorithms and checks verifying keys', () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          GATEHOUSE_ALGORITHM: 'RS256',
          GATEHOUSE_VERIFYING_KEYS: '[{"algorithm":"HS999"},{"algorithm":"HS256"}, 3]',
        },
      }),
    );
    const text = problems.join('\n');
    assert.match(text, /signingKeyFile: RS256 needs a PEM private key file/);
    assert.match(text, /verifyingKeys\[0\]\.algorithm/);
    assert.match(text, /verifyingKeys\[1\]\.secret/);
    assert.match(text, /verifyingKeys\[2\]: expected an object/);
  });

  it('takes the signing key from the environment or a file, never both', () => {
    const keyFile = configFile('  file-secret-0123456789abcdef0123456789  \n');
    assert.equal(
      loadConfig({ env: { GATEHOUSE_SIGNING_KEY: 'env-secret' } }).tokens.signingKey?.secret,
      'env-secret',
    );
    assert.equal(
      loadConfig({ env: { GATEHOUSE_SIGNING_KEY_FILE: keyFile } }).tokens.signingKey?.secret,
      'file-secret-0123456789abcdef0123456789',
    );
    assert.match(
      problemsOf(() =>
        loadConfig({ env: { GATEHOUSE_SIGNING_KEY: 'x', GATEHOUSE_SIGNING_KEY_FILE: keyFile } }),
      ).join(),
      /set one of them, not both/,
    );
  });

  it('names every setting with a GATEHOUSE_ variable and help text', () => {
    const envs = new Set<string>();
    for (const s of SETTINGS) {
      assert.match(s.env, /^GATEHOUSE_[A-Z_]+$/);
      assert.ok(s.help.length > 0, s.key);
      assert.ok(!envs.has(s.env), `duplicate ${s.env}`);
      envs.add(s.env);
    }
    assert.ok(envs.has('GATEHOUSE_HOST') && envs.has('GATEHOUSE_PORT') && envs.has('GATEHOUSE_WORKERS'));
    assert.ok(envs.has('GATEHOUSE_DATA_DIR') && envs.has('GATEHOUSE_SIGNING_KEY'));
  });

  it('recognises IP addresses and CIDR networks', () => {
    for (const ok of ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', '0.0.0.0/0'])
      assert.ok(isValidCidr(ok), ok);
    for (const bad of ['10.0.0.0/33', '::1/129', 'localhost', '10.0.0.0/8/8', '1.2.3.4/x', ''])
      assert.ok(!isValidCidr(bad), bad);
  });
});
