/**
 * One table of routing cases, shared by every router test (hono's habit): each case names a request path and
 * what the router must answer for it.
 */
export const ROUTES: readonly (readonly [method: string, pattern: string])[] = [
  ['GET', '/api/public/'],
  ['GET', '/api/notes/'],
  ['POST', '/api/notes/'],
  ['GET', '/api/notes/:id/'],
  ['PUT', '/api/notes/:id/'],
  ['GET', '/api/notes/:id/comments/:commentId/'],
  ['GET', '/api/notes/latest/'],
  ['POST', '/api/token/'],
  ['GET', '/healthz'],
  ['GET', '/files/:name'],
];

export interface RouteCase {
  readonly path: string;
  /** The pattern that must match, or null. */
  readonly pattern: string | null;
  readonly params?: readonly string[];
  /** Expected redirect target (APPEND_SLASH), when the pattern is null. */
  readonly redirect?: string;
  readonly allow?: string;
}

export const CASES: readonly RouteCase[] = [
  { path: '/api/public/', pattern: '/api/public/', params: [], allow: 'GET, HEAD, OPTIONS' },
  { path: '/api/notes/', pattern: '/api/notes/', allow: 'GET, POST, HEAD, OPTIONS' },
  { path: '/api/notes/42/', pattern: '/api/notes/:id/', params: ['42'], allow: 'GET, PUT, HEAD, OPTIONS' },
  { path: '/api/notes/latest/', pattern: '/api/notes/latest/', params: [] },
  { path: '/api/notes/7/comments/9/', pattern: '/api/notes/:id/comments/:commentId/', params: ['7', '9'] },
  { path: '/api/notes/a%20b/', pattern: '/api/notes/:id/', params: ['a b'] },
  { path: '/api/token/', pattern: '/api/token/', allow: 'POST, OPTIONS' },
  { path: '/healthz', pattern: '/healthz' },
  { path: '/files/report.pdf', pattern: '/files/:name', params: ['report.pdf'] },
  // Trailing-slash handling: Django's APPEND_SLASH redirects to the slashed path when that one exists.
  { path: '/api/public', pattern: null, redirect: '/api/public/' },
  { path: '/api/notes/42', pattern: null, redirect: '/api/notes/42/' },
  { path: '/healthz/', pattern: null },
  { path: '/files/report.pdf/', pattern: null },
  // Not found.
  { path: '/', pattern: null },
  { path: '/api/', pattern: null },
  { path: '/api/notes//', pattern: null },
  { path: '/api/notes/42/extra/', pattern: null },
  { path: '/API/PUBLIC/', pattern: null },
  { path: '/api/notes/%E0%A4%A/', pattern: null },
  { path: '//api/public/', pattern: null },
];
