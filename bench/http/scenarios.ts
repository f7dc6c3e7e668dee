/**
 * The load scenarios of `make bench`, in the order they run. Each names the request it sends and what it is
 * meant to show; `peers` marks the ones the bare uWS server and Fastify also answer (the others exercise
 * Gatehouse's token API and write path, which the peers do not have).
 */
export const SCENARIO_NAMES = [
  'public',
  'protected',
  'throttled',
  'obtain',
  'refresh',
  'notes-post',
  'protected-flood',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface Scenario {
  readonly name: ScenarioName;
  /** The request, as the table shows it. */
  readonly request: string;
  readonly shows: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Sends `Authorization: Bearer <access token>`. */
  readonly bearer: boolean;
  /** The body sent: none, the bench user's credentials, a note, or a chain of refresh tokens. */
  readonly body: 'none' | 'credentials' | 'note' | 'refresh-chain';
  /** The peers (bare uWS, Fastify) run it too. */
  readonly peers: boolean;
  /** A second generator floods POST /api/token/ with valid credentials while this one is measured. */
  readonly loginFlood: boolean;
}

export const NOTE_BODY = '{"text":"a benchmark note"}';

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  public: {
    name: 'public',
    request: 'GET /api/public/',
    shows: 'routing + anonymous throttle (limit never reached) + response',
    method: 'GET',
    path: '/api/public/',
    bearer: false,
    body: 'none',
    peers: true,
    loginFlood: false,
  },
  protected: {
    name: 'protected',
    request: 'GET /api/hello/ (JWT)',
    shows: 'HS256 verify + user lookup + IsAuthenticated + user throttle (limit never reached)',
    method: 'GET',
    path: '/api/hello/',
    bearer: true,
    body: 'none',
    peers: true,
    loginFlood: false,
  },
  throttled: {
    name: 'throttled',
    request: 'GET /api/limited/ (JWT, 10/min)',
    shows: 'the same with a low scoped limit: almost every answer is a 429, so rejecting must be cheap',
    method: 'GET',
    path: '/api/limited/',
    bearer: true,
    body: 'none',
    peers: true,
    loginFlood: false,
  },
  obtain: {
    name: 'obtain',
    request: 'POST /api/token/',
    shows: 'login: argon2id verification (default parameters) + token pair + last_login write',
    method: 'POST',
    path: '/api/token/',
    bearer: false,
    body: 'credentials',
    peers: false,
    loginFlood: false,
  },
  refresh: {
    name: 'refresh',
    request: 'POST /api/token/refresh/ (rotation)',
    shows: 'refresh with rotation: verify, blacklist the old token, store the new one (SQLite writes)',
    method: 'POST',
    path: '/api/token/refresh/',
    bearer: false,
    body: 'refresh-chain',
    peers: false,
    loginFlood: false,
  },
  'notes-post': {
    name: 'notes-post',
    request: 'POST /api/notes/ (JWT)',
    shows: 'write path: JWT + body parsing + validation + one SQLite insert',
    method: 'POST',
    path: '/api/notes/',
    bearer: true,
    body: 'note',
    peers: false,
    loginFlood: false,
  },
  'protected-flood': {
    name: 'protected-flood',
    request: 'GET /api/hello/ (JWT) during a login flood',
    shows: 'the protected GET while a second generator hammers POST /api/token/ (argon2 on the thread pool)',
    method: 'GET',
    path: '/api/hello/',
    bearer: true,
    body: 'none',
    peers: false,
    loginFlood: true,
  },
};

/** The concrete bytes a generator sends for a scenario. */
export interface ScenarioRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Fixed body, or null (GET, or a refresh chain whose body changes every request). */
  readonly body: string | null;
  /** Refresh tokens to start the chain with (one is consumed per request, its successor takes its place). */
  readonly refreshChain: readonly string[] | null;
}

export interface BenchCredentials {
  readonly username: string;
  readonly password: string;
  readonly access: string;
}

export function scenarioRequest(
  scenario: Scenario,
  credentials: BenchCredentials,
  refreshChain: readonly string[] | null,
): ScenarioRequest {
  const headers: Record<string, string> = {};
  if (scenario.bearer) headers['authorization'] = `Bearer ${credentials.access}`;
  let body: string | null = null;
  if (scenario.body !== 'none') headers['content-type'] = 'application/json';
  if (scenario.body === 'credentials')
    body = JSON.stringify({ username: credentials.username, password: credentials.password });
  if (scenario.body === 'note') body = NOTE_BODY;
  if (scenario.body === 'refresh-chain' && refreshChain === null)
    throw new Error('the refresh scenario needs a chain of refresh tokens');
  return {
    method: scenario.method,
    path: scenario.path,
    headers,
    body,
    refreshChain: scenario.body === 'refresh-chain' ? refreshChain : null,
  };
}

/** The login flood's request: valid credentials of a second user, so every attempt costs a real verification. */
export function floodRequest(username: string, password: string): ScenarioRequest {
  return {
    method: 'POST',
    path: '/api/token/',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
    refreshChain: null,
  };
}
