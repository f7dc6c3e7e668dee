import { DjangoImportError } from './django-user-source.js';
import type { SourceRow } from './django-user-source.js';
import type { RawDjangoUser } from './imported-user.js';

const DJANGO_USER_MODEL = 'auth.user';

/**
 * Reads a JSON array whose entries are either plain user objects (`{"username": …, "password": …, …}`) or
 * `manage.py dumpdata auth.user` entries (`{"model": "auth.user", "pk": 1, "fields": {…}}`, the pk becoming the
 * id); the two may be mixed. Entries are numbered from 1. An entry of another model is reported rather than
 * skipped silently: a dump of a custom user model (AUTH_USER_MODEL) would otherwise import nobody unnoticed.
 */
export function readDjangoJson(text: string, path: string): SourceRow[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    // JSON.parse quotes the text around the error, which may hold a hash: say only that it failed.
    throw new DjangoImportError(`${path} is not valid JSON`, { cause: error });
  }
  if (!Array.isArray(document)) {
    throw new DjangoImportError(`${path} must hold a JSON array of users or a dumpdata list`);
  }

  return document.map((entry: unknown, index): SourceRow => {
    const row = index + 1;
    if (!isObject(entry)) return { row, raw: null, problem: 'is not a JSON object' };
    if (!('model' in entry)) return { row, raw: entry as RawDjangoUser, problem: null };

    if (typeof entry['model'] !== 'string' || entry['model'].toLowerCase() !== DJANGO_USER_MODEL) {
      const model = typeof entry['model'] === 'string' ? `"${entry['model']}"` : 'a non-string model';
      return { row, raw: null, problem: `is a ${model} entry, not ${DJANGO_USER_MODEL}` };
    }
    const fields = entry['fields'];
    if (!isObject(fields)) return { row, raw: null, problem: 'has no "fields" object' };
    return { row, raw: { ...fields, id: entry['pk'] } as RawDjangoUser, problem: null };
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
