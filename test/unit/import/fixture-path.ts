import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = join('test', 'fixtures', 'django');

/**
 * test/fixtures/django/<name> in the source tree. Fixtures are not copied by tsc, so the folder is found by
 * walking up from the compiled test (dist/test/unit/import/) and, for builds placed elsewhere, from the cwd.
 */
export function djangoFixture(name: string): string {
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      if (existsSync(join(dir, FIXTURES))) return join(dir, FIXTURES, name);
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error(`cannot find ${FIXTURES} above the test or the working directory`);
}
