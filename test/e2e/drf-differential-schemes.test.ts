/**
 * Differential test of the other authentication schemes: DRF's BasicAuthentication and TokenAuthentication
 * (the authtoken app) in the reference, Gatehouse's `basic` and `apikey` schemes, configured alike as the
 * default schemes in two orders. The same API key is given to the user on both sides (a DRF authtoken key;
 * Gatehouse stores its digest). Every request goes byte for byte to both; answers must be the same.
 */
import { after, before, describe } from 'node:test';
import {
  drfReferenceMissing,
  startBesideReference,
  type ReferenceAndGatehouse,
  type SchemeName,
} from '../support/drf-reference.js';
import { accessTokenOf, compareCases, get, type Case } from '../support/differential.js';

const ALICE_KEY = '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b';
const CAROL_KEY = 'c0ffee0000000000000000000000000000000001';

const USERS = [
  { username: 'alice', password: 'alice-password', api_key: ALICE_KEY },
  { username: 'admin', password: 'pässword:with colon', is_staff: true },
  { username: 'carol', password: 'carol-password', is_active: false, api_key: CAROL_KEY },
];

const basic = (text: string, encoding: BufferEncoding = 'utf8'): string =>
  `Basic ${Buffer.from(text, encoding).toString('base64')}`;
const as = (authorization: string, path = '/api/me/') => get(path, { authorization });

/** Requests whose answers depend on every scheme and on which one comes first (the 401 challenge). */
const CASES: readonly Case[] = [
  { name: 'no credentials', sent: get('/api/me/') },
  { name: 'Basic, right password', sent: as(basic('alice:alice-password')) },
  {
    name: 'Basic, lowercase keyword',
    sent: as(`basic ${Buffer.from('alice:alice-password').toString('base64')}`),
  },
  { name: 'Basic, wrong password', sent: as(basic('alice:wrong')) },
  { name: 'Basic, unknown user', sent: as(basic('mallory:x')) },
  { name: 'Basic, inactive user', sent: as(basic('carol:carol-password')) },
  { name: 'Basic, password with a colon and non-ASCII', sent: as(basic('admin:pässword:with colon')) },
  { name: 'Basic, Latin-1 encoded credentials', sent: as(basic('admin:pässword:with colon', 'latin1')) },
  { name: 'Basic, no colon', sent: as(basic('alice')) },
  { name: 'Basic, empty credentials', sent: as(basic(':')) },
  { name: 'Basic alone', sent: as('Basic') },
  { name: 'Basic with two parts', sent: as('Basic YWxpY2U6 eA==') },
  { name: 'Basic, not base64', sent: as('Basic !!!!') },
  { name: 'Basic, base64 without padding', sent: as('Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ') },
  { name: 'Basic, staff on the admin route', sent: as(basic('admin:pässword:with colon'), '/api/admin/') },
  { name: 'Basic, user on the admin route', sent: as(basic('alice:alice-password'), '/api/admin/') },
  { name: 'Token, right key', sent: as(`Token ${ALICE_KEY}`) },
  { name: 'Token, lowercase keyword', sent: as(`token ${ALICE_KEY}`) },
  { name: 'Token, unknown key', sent: as('Token 0000000000000000000000000000000000000000') },
  { name: 'Token, key of an inactive user', sent: as(`Token ${CAROL_KEY}`) },
  { name: 'Token alone', sent: as('Token') },
  { name: 'Token with two parts', sent: as(`Token ${ALICE_KEY} x`) },
  { name: 'Token, bytes that are not UTF-8', sent: as('Token \u00ff\u00fex') },
  {
    name: 'Token, a value ending in non-ASCII bytes',
    sent: as('Token \u00ff\u00fe'),
    // uWS v20.30 trims bytes >= 0x80 off the end of a header value, as if they were whitespace (a signed char
    // comparison): the key arrives empty. Both answers are 401 with the same challenge.
    differs: { why: 'uWS trims trailing non-ASCII bytes off header values', body: true },
  },
  { name: 'Token, UTF-8 bytes', sent: as(`Token ${Buffer.from('clé').toString('latin1')}`) },
  { name: 'Token on the admin route', sent: as(`Token ${ALICE_KEY}`, '/api/admin/') },
  {
    name: 'Token sent twice',
    sent: get('/api/me/', { authorization: [`Token ${ALICE_KEY}`, `Token ${ALICE_KEY}`] }),
  },
  {
    name: 'Basic, then Token',
    sent: get('/api/me/', { authorization: [basic('alice:alice-password'), `Token ${ALICE_KEY}`] }),
  },
  { name: 'Bearer, valid', sent: () => as(`Bearer ${accessTokenOf(1)}`) },
  { name: 'Bearer, garbage', sent: as('Bearer garbage') },
  { name: 'an unknown keyword', sent: as('Digest username="alice"') },
  { name: 'Basic on a public route, wrong password', sent: as(basic('alice:wrong'), '/api/public/') },
  { name: 'Token on a public route, unknown key', sent: as('Token nope', '/api/public/') },
];

for (const schemes of [
  ['jwt', 'basic', 'apikey'],
  ['apikey', 'basic', 'jwt'],
  ['basic', 'apikey', 'jwt'],
] as SchemeName[][]) {
  describe(
    `differential: authentication schemes ${schemes.join(', ')} in the reference and in Gatehouse`,
    { skip: drfReferenceMissing() ?? false },
    () => {
      let servers: ReferenceAndGatehouse | undefined;
      before(async () => {
        servers = await startBesideReference(USERS, {}, schemes);
      });
      after(() => servers?.stop());
      compareCases(CASES, () => ({ reference: servers!.reference.url, gatehouse: servers!.gatehouse.url }));
    },
  );
}
