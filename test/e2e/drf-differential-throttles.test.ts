/**
 * Differential test of throttling: DRF's AnonRateThrottle, UserRateThrottle and ScopedRateThrottle in the
 * reference and Gatehouse's throttles, with the same low rates, fed the same sequences. Each sequence uses
 * its own user, so one sequence's quota is not another's; the anonymous ones share the client address and
 * run in one case. Every answer must be the same, 429 bodies and Retry-After included.
 */
import { after, before, describe } from 'node:test';
import {
  drfReferenceMissing,
  startBesideReference,
  type ReferenceAndGatehouse,
} from '../support/drf-reference.js';
import { accessTokenOf, asUser, compareCases, get, type Case, type Sent } from '../support/differential.js';

const RATES = 'anon=3/min,user=4/min,limited=2/min';
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'].map((username) => ({
  username,
  password: `${username}-password`,
}));

const times = (n: number, sent: Sent): Sent[] => Array.from({ length: n }, () => sent);

const CASES: readonly Case[] = [
  {
    name: 'anonymous: refused requests use no quota, the fourth admitted one is throttled',
    sent: () => [
      ...times(3, get('/api/hello/')),
      ...times(4, get('/api/public/')),
      { method: 'HEAD', path: '/api/public/' },
    ],
  },
  {
    name: 'user throttle: four an minute, then 429 with the wait',
    sent: () => times(6, asUser(accessTokenOf(1), '/api/hello/')),
  },
  {
    name: 'scoped throttle: its own quota, the user throttle untouched',
    sent: () => {
      const token = accessTokenOf(2);
      return [...times(3, asUser(token, '/api/limited/')), asUser(token, '/api/hello/')];
    },
  },
  {
    name: 'a user is not subject to the anonymous throttle',
    sent: () => times(5, asUser(accessTokenOf(3), '/api/public/')),
  },
  {
    name: 'OPTIONS and HEAD go through the throttles too',
    sent: () => {
      const token = accessTokenOf(4);
      return [
        asUser(token, '/api/limited/', 'OPTIONS'),
        asUser(token, '/api/limited/', 'HEAD'),
        asUser(token, '/api/limited/'),
      ];
    },
    differs: {
      why: "the OPTIONS description comes from the view's docstring, which CONTRACT.md does not fix",
      body: true,
    },
  },
  {
    name: 'forbidden requests use no quota',
    sent: () => {
      const token = accessTokenOf(5);
      return [...times(5, asUser(token, '/api/admin/')), ...times(2, asUser(token, '/api/limited/'))];
    },
  },
];

describe(
  'differential: throttles in the reference and in Gatehouse',
  { skip: drfReferenceMissing() ?? false },
  () => {
    let servers: ReferenceAndGatehouse | undefined;
    before(async () => {
      servers = await startBesideReference(USERS, {}, ['jwt'], RATES);
    });
    after(() => servers?.stop());
    compareCases(CASES, () => ({ reference: servers!.reference.url, gatehouse: servers!.gatehouse.url }));
  },
);
