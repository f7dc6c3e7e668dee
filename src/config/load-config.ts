/**
 * Reads configuration from its three sources — command-line flags, GATEHOUSE_* environment variables and an
 * optional JSON file — with flags winning over the environment and the environment over the file. Every problem
 * is collected and reported at once, naming the key and what was expected; unknown keys are refused so a typo
 * can never silently fall back to a default.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { validatePasswordHashingSettings } from '../auth/passwords/index.js';
import { parseRate } from '../policies/rate.js';
import type { Config, GatekeeperConfig, JwtAlgorithm, JwtKeyConfig } from './config-types.js';
import { SETTINGS, type SettingSpec } from './settings.js';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  /** Values from command-line flags, by setting key (e.g. { port: '9000' }). */
  readonly flags?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Values given by code embedding the server (startServer), by setting key, as a config file holds them. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Base directory for relative paths (the working directory by default). */
  readonly cwd?: string;
}

const CONFIG_ENV = 'GATEHOUSE_CONFIG';
const BY_KEY = new Map(SETTINGS.map((s) => [s.key, s]));
const BY_ENV = new Map(SETTINGS.map((s) => [s.env, s]));

export function loadConfig(sources: ConfigSources = {}): Config {
  const flags = sources.flags ?? {};
  const env = sources.env ?? {};
  const cwd = sources.cwd ?? process.cwd();
  const problems: string[] = [];

  for (const key of Object.keys(flags)) {
    if (key !== 'configFile' && !BY_KEY.has(key)) problems.push(`unknown flag for setting "${key}"`);
  }
  for (const name of Object.keys(env)) {
    if (
      name.startsWith('GATEHOUSE_') &&
      name !== CONFIG_ENV &&
      !BY_ENV.has(name) &&
      env[name] !== undefined
    ) {
      problems.push(`${name}: unknown environment variable (known: see \`gatehouse config --help\`)`);
    }
  }

  const configFileRaw = flags['configFile'] ?? nonEmpty(env[CONFIG_ENV]) ?? null;
  const configFile = configFileRaw === null ? null : resolve(cwd, configFileRaw);
  const fileValues = configFile === null ? {} : readConfigFile(configFile, problems);
  const settings = sources.settings ?? {};
  for (const key of Object.keys(settings))
    if (!BY_KEY.has(key)) problems.push(`setting "${key}": unknown (known: see \`gatehouse config --help\`)`);

  const values = new Map<string, unknown>();
  for (const spec of SETTINGS) {
    // Settings given by code rank like a config file: flags and the environment still override them.
    const fromCode =
      flags[spec.key] === undefined && env[spec.env] === undefined && Object.hasOwn(settings, spec.key);
    const [raw, where] = fromCode
      ? [settings[spec.key], `setting "${spec.key}"`]
      : pick(spec, flags, env, fileValues, configFile);
    if (where === null) {
      values.set(spec.key, spec.default);
      continue;
    }
    const parsed = spec.parse(raw);
    if (parsed.ok) values.set(spec.key, parsed.value);
    else {
      problems.push(`${where}: expected ${parsed.expected}`);
      values.set(spec.key, spec.default);
    }
  }

  const config = buildConfig(values, configFile, cwd, problems);
  for (const problem of validatePasswordHashingSettings(config.passwords))
    problems.push(`password hashing: ${problem}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

function readConfigFile(path: string, problems: string[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(
      `config file ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
    return {};
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    problems.push(`config file ${path}: not valid JSON (${(error as Error).message})`);
    return {};
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    problems.push(`config file ${path}: expected a JSON object of settings`);
    return {};
  }
  for (const key of Object.keys(data)) {
    if (!BY_KEY.has(key)) problems.push(`config file ${path}: unknown key "${key}"`);
  }
  return data as Record<string, unknown>;
}

/** Returns the raw value of a setting and a description of where it came from, or [undefined, null] for the default. */
function pick(
  spec: SettingSpec,
  flags: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
  file: Record<string, unknown>,
  configFile: string | null,
): [unknown, string | null] {
  if (flags[spec.key] !== undefined) return [flags[spec.key], `--${kebab(spec.key)}`];
  if (env[spec.env] !== undefined) return [env[spec.env], spec.env];
  if (Object.hasOwn(file, spec.key)) return [file[spec.key], `config file ${configFile}: "${spec.key}"`];
  return [undefined, null];
}

export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

function buildConfig(
  values: Map<string, unknown>,
  configFile: string | null,
  cwd: string,
  problems: string[],
): Config {
  const get = <T>(key: string): T => values.get(key) as T;
  const algorithm = get<JwtAlgorithm>('algorithm');

  const rates = get<Record<string, string>>('throttleRates');
  for (const [scope, rate] of Object.entries(rates)) {
    if (!/^[A-Za-z0-9_.:-]+$/.test(scope)) problems.push(`throttleRates: scope "${scope}" must be a word`);
    const parsed = parseRate(rate);
    if (!parsed.ok)
      problems.push(`throttleRates: ${scope}: expected a rate like 100/min or 10/5m (${parsed.error})`);
  }
  for (const key of ['loginRateByUsername', 'loginRateByIp']) {
    const rate = get<string | null>(key);
    if (rate !== null) {
      const parsed = parseRate(rate);
      if (!parsed.ok) problems.push(`${key}: expected a rate like 10/min (${parsed.error})`);
    }
  }
  // The URLs are secrets (they may hold passwords): a problem names the setting, never the value.
  const databaseUrl = get<string | null>('databaseUrl');
  if (databaseUrl !== null && !/^postgres(ql)?:\/\/./.test(databaseUrl))
    problems.push('databaseUrl: expected a postgres:// or postgresql:// URL');
  const redisUrl = get<string | null>('redisUrl');
  if (redisUrl !== null && !/^rediss?:\/\/./.test(redisUrl))
    problems.push('redisUrl: expected a redis:// or rediss:// URL');
  for (const key of ['trustedProxies', 'metricsAllow']) {
    for (const cidr of get<string[]>(key))
      if (!isValidCidr(cidr)) problems.push(`${key}: "${cidr}" is not an IP address or CIDR network`);
  }

  const signingKey = resolveSigningKey(
    algorithm,
    get('signingKey'),
    get('signingKeyFile'),
    get('signingKeyId'),
    cwd,
    problems,
  );
  const verifyingKeys = parseVerifyingKeys(get('verifyingKeys'), cwd, problems);

  return {
    host: get('host'),
    port: get('port'),
    workers: get('workers'),
    dataDir: resolve(cwd, get<string>('dataDir')),
    configFile,
    databaseUrl: get('databaseUrl'),
    redisUrl: get('redisUrl'),
    databasePoolSize: get('databasePoolSize'),
    redisTimeoutMs: Math.round(get<number>('redisTimeout') * 1000),
    throttleFailClosed: get('throttleFailClosed'),
    userCacheMaxAgeMs: Math.round(get<number>('userCacheMaxAge') * 1000),
    tokens: {
      algorithm,
      signingKey,
      verifyingKeys,
      accessLifetimeSec: Math.round(get<number>('accessTokenLifetime')),
      refreshLifetimeSec: Math.round(get<number>('refreshTokenLifetime')),
      rotateRefreshTokens: get('rotateRefreshTokens'),
      blacklistAfterRotation: get('blacklistAfterRotation'),
      revokeFamilyOnReuse: get('revokeFamilyOnReuse'),
      updateLastLogin: get('updateLastLogin'),
      leewaySec: get('leeway'),
      audience: get('audience'),
      issuer: get('issuer'),
      authHeaderTypes: get('authHeaderTypes'),
      userIdClaim: get('userIdClaim'),
      tokenTypeClaim: get('tokenTypeClaim'),
      jtiClaim: get('jtiClaim'),
      maxTokenLength: get('maxTokenLength'),
      verifiedTokenCacheSize: get('verifiedTokenCacheSize'),
    },
    passwords: {
      memoryCostKiB: get('passwordMemoryCost'),
      timeCost: get('passwordTimeCost'),
      parallelism: get('passwordParallelism'),
      maxPasswordLength: get('maxPasswordLength'),
    },
    throttle: {
      rates,
      rateLimitHeaders: get('rateLimitHeaders'),
      capacity: get('throttleCapacity'),
      loginRateByUsername: get('loginRateByUsername'),
      loginRateByIp: get('loginRateByIp'),
    },
    trustedProxies: get('trustedProxies'),
    maxBodyBytes: get('maxBodyBytes'),
    accessLog: get('accessLog'),
    logLevel: get('logLevel'),
    exampleApi: get('exampleApi'),
    ignoreInvalidCredentialsOnPublicRoutes: get('ignoreInvalidCredentialsOnPublicRoutes'),
    authenticationSchemes: get('authenticationSchemes'),
    apiKeyKeyword: get('apiKeyKeyword'),
    appModule: get<string | null>('appModule') === null ? null : resolve(cwd, get<string>('appModule')),
    shutdownGraceMs: Math.round(get<number>('shutdownGrace') * 1000),
    crashLoopMaxRestarts: get('crashLoopMaxRestarts'),
    crashLoopWindowMs: Math.round(get<number>('crashLoopWindow') * 1000),
    metrics: get('metrics'),
    metricsAllow: get('metricsAllow'),
    tokenPruneIntervalSec: get('tokenPruneInterval'),
    passwordHashingNice: get('passwordHashingNice'),
    passwordHashingConcurrency: get('passwordHashingConcurrency'),
    gatekeeper: gatekeeperOf(get, rates, problems),
  };
}

/** The gatekeeper's policy, when the mode is on; every throttle must name a configured rate. */
function gatekeeperOf(
  get: <T>(key: string) => T,
  rates: Record<string, string>,
  problems: string[],
): GatekeeperConfig | null {
  if (!get<boolean>('gatekeeper')) return null;
  const throttles = get<string[]>('gatekeeperThrottles');
  for (const scope of throttles) {
    if (!Object.hasOwn(rates, scope))
      problems.push(`gatekeeperThrottles: scope "${scope}" has no rate in throttleRates`);
  }
  return { path: get('gatekeeperPath'), permission: get('gatekeeperPermission'), throttles };
}

export function isValidCidr(text: string): boolean {
  const [address, bits, ...rest] = text.split('/');
  if (rest.length > 0 || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

function isAsymmetric(algorithm: JwtAlgorithm): boolean {
  return !algorithm.startsWith('HS');
}

function readKeyFile(path: string, cwd: string, what: string, problems: string[]): string | undefined {
  try {
    return readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    problems.push(`${what}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

function resolveSigningKey(
  algorithm: JwtAlgorithm,
  secret: string | null,
  file: string | null,
  kid: string | null,
  cwd: string,
  problems: string[],
): JwtKeyConfig | null {
  if (secret !== null && file !== null) {
    problems.push('signingKey / signingKeyFile: set one of them, not both');
    return null;
  }
  const withKid = kid === null ? {} : { kid };
  if (isAsymmetric(algorithm)) {
    if (secret !== null) {
      problems.push(`signingKey: ${algorithm} needs a PEM private key in signingKeyFile, not a secret`);
      return null;
    }
    if (file === null) {
      problems.push(`signingKeyFile: ${algorithm} needs a PEM private key file`);
      return null;
    }
    const pem = readKeyFile(file, cwd, 'signingKeyFile', problems);
    return pem === undefined ? null : { algorithm, privateKeyPem: pem, ...withKid };
  }
  if (file !== null) {
    const text = readKeyFile(file, cwd, 'signingKeyFile', problems);
    if (text === undefined) return null;
    const trimmed = text.trim();
    if (trimmed.length === 0) problems.push('signingKeyFile: the file is empty');
    return { algorithm, secret: trimmed, ...withKid };
  }
  if (secret !== null) return { algorithm, secret, ...withKid };
  return null;
}

function parseVerifyingKeys(raw: unknown, cwd: string, problems: string[]): JwtKeyConfig[] {
  if (!Array.isArray(raw)) {
    problems.push(
      'verifyingKeys: expected a JSON array of {kid, algorithm, secret | publicKeyPem | publicKeyFile}',
    );
    return [];
  }
  const keys: JwtKeyConfig[] = [];
  raw.forEach((item: unknown, i) => {
    const where = `verifyingKeys[${i}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      problems.push(`${where}: expected an object`);
      return;
    }
    const k = item as Record<string, unknown>;
    for (const name of Object.keys(k)) {
      if (!['kid', 'algorithm', 'secret', 'publicKeyPem', 'publicKeyFile'].includes(name))
        problems.push(`${where}: unknown key "${name}"`);
    }
    const algorithm = k['algorithm'];
    if (
      typeof algorithm !== 'string' ||
      !['HS256', 'HS384', 'HS512', 'RS256', 'ES256', 'EdDSA'].includes(algorithm)
    ) {
      problems.push(`${where}.algorithm: expected one of HS256, HS384, HS512, RS256, ES256, EdDSA`);
      return;
    }
    const kid = typeof k['kid'] === 'string' ? { kid: k['kid'] } : {};
    if (k['kid'] !== undefined && typeof k['kid'] !== 'string')
      problems.push(`${where}.kid: expected a string`);
    if (isAsymmetric(algorithm as JwtAlgorithm)) {
      let pem = typeof k['publicKeyPem'] === 'string' ? k['publicKeyPem'] : undefined;
      if (pem === undefined && typeof k['publicKeyFile'] === 'string')
        pem = readKeyFile(k['publicKeyFile'], cwd, `${where}.publicKeyFile`, problems);
      if (pem === undefined) problems.push(`${where}: expected publicKeyPem or publicKeyFile`);
      else keys.push({ algorithm: algorithm as JwtAlgorithm, publicKeyPem: pem, ...kid });
    } else if (typeof k['secret'] === 'string' && k['secret'].length > 0) {
      keys.push({ algorithm: algorithm as JwtAlgorithm, secret: k['secret'], ...kid });
    } else problems.push(`${where}.secret: expected a non-empty string`);
  });
  return keys;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as object)) deepFreeze(child);
  }
  return value;
}
