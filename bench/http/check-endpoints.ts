/**
 * Before anything is measured, each system must answer each scenario's request correctly (status and body):
 * a fast wrong answer (a 401 because the token was refused, a 404 from a typo) would otherwise look like a
 * win. Protected routes must also refuse a request without a token and one with a tampered token, which shows
 * the peer really verifies. A failed check stops the run.
 */
import { NOT_AUTHENTICATED_BODY, SUCCESS_BODIES, TOKEN_NOT_VALID_BODY } from '../peers/peer-contract.js';
import type { Scenario, ScenarioRequest } from './scenarios.js';
import type { RunningSystem } from './systems.js';

const THROTTLED = /^\{"detail":"Request was throttled\. Expected available in \d+ seconds?\."\}$/;

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

async function send(
  baseUrl: string,
  request: ScenarioRequest,
  override?: { headers?: Record<string, string>; body?: string },
): Promise<Answer> {
  const response = await fetch(baseUrl + request.path, {
    method: request.method,
    headers: override?.headers ?? request.headers,
    body: override?.body ?? request.body ?? undefined,
    redirect: 'manual',
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}

function fields(text: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

const isPair = (a: Answer): boolean => {
  const f = fields(a.text);
  return (
    a.status === 200 && f !== null && typeof f['access'] === 'string' && typeof f['refresh'] === 'string'
  );
};

/** Describes the answer without echoing tokens (a token pair is shown as its keys only). */
function describe(a: Answer): string {
  const f = fields(a.text);
  const shown =
    f !== null && ('access' in f || 'refresh' in f) ? `{${Object.keys(f).join(',')}}` : a.text.slice(0, 200);
  return `${a.status} ${shown}`;
}

export async function checkScenario(
  system: RunningSystem,
  scenario: Scenario,
  request: ScenarioRequest,
  username: string,
): Promise<void> {
  const base = system.baseUrl;
  const expect = (what: string, answer: Answer, ok: boolean): void => {
    if (!ok)
      throw new Error(
        `${system.name} ×${system.workers} ${scenario.request}: expected ${what}, got ${describe(answer)}`,
      );
    if (!answer.contentType.startsWith('application/json')) {
      throw new Error(
        `${system.name} ${scenario.request}: Content-Type ${answer.contentType}, expected application/json`,
      );
    }
  };

  if (request.refreshChain !== null) {
    const answer = await send(base, request, { body: JSON.stringify({ refresh: request.refreshChain[0] }) });
    return expect('200 with a new token pair', answer, isPair(answer));
  }
  const answer = await send(base, request);
  switch (scenario.name) {
    case 'public':
    case 'protected':
    case 'protected-flood': {
      const body = SUCCESS_BODIES[scenario.path]!;
      expect(`200 ${body}`, answer, answer.status === 200 && answer.text === body);
      break;
    }
    case 'throttled': {
      const body = SUCCESS_BODIES[scenario.path]!;
      const ok =
        system.name === 'bare-uws'
          ? answer.status === 200 && answer.text === body
          : (answer.status === 200 && answer.text === body) ||
            (answer.status === 429 && THROTTLED.test(answer.text));
      expect(`200 ${body} or a 429 throttled answer`, answer, ok);
      break;
    }
    case 'obtain':
      expect('200 with a token pair', answer, isPair(answer));
      break;
    case 'notes-post': {
      const f = fields(answer.text);
      expect(
        '201 {"id":…,"text":"a benchmark note","owner":"bench"}',
        answer,
        answer.status === 201 &&
          f !== null &&
          typeof f['id'] === 'number' &&
          f['text'] === 'a benchmark note' &&
          f['owner'] === username,
      );
      break;
    }
    case 'refresh':
      break;
  }

  // The ceiling verifies nothing by design; everyone else must refuse what is not a valid access token.
  if (scenario.bearer && system.name !== 'bare-uws') {
    const { authorization, ...withoutToken } = request.headers;
    const anonymous = await send(base, request, { headers: withoutToken });
    expect(
      `401 ${NOT_AUTHENTICATED_BODY} without a token`,
      anonymous,
      anonymous.status === 401 && anonymous.text === NOT_AUTHENTICATED_BODY,
    );
    const tampered = await send(base, request, {
      headers: {
        ...withoutToken,
        authorization: authorization!.slice(0, -2) + (authorization!.endsWith('AA') ? 'BB' : 'AA'),
      },
    });
    expect(
      '401 token_not_valid with a tampered token',
      tampered,
      tampered.status === 401 && tampered.text === TOKEN_NOT_VALID_BODY,
    );
  }
}
