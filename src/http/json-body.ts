/**
 * Parses a request body the way DRF's JSONParser + a serializer see it:
 *  - no body (Content-Length 0 or absent) → {} whatever the content type (DRF: no stream → empty data);
 *  - a body whose media type is not JSON → 415 naming the content type as sent;
 *  - bytes that are not text in the declared charset (UTF-8 without one, body-charset.ts) or not JSON
 *    (NaN/Infinity refused, like DRF's strict parse_constant) → 400;
 *  - JSON that is not an object → 400 "Expected a dictionary, but got list." with Python's type name.
 */
import { notADictionary, parseError, unsupportedMediaType, ERRORS, type ErrorSpec } from '../errors.js';
import { decodeBody } from './body-charset.js';

export type BodyResult = { ok: true; value: Record<string, unknown> } | { ok: false; error: ErrorSpec };

/** True when the Content-Type names JSON (parameters such as charset allowed; wildcards match, as in DRF). */
export function isJsonMediaType(contentType: string): boolean {
  const semicolon = contentType.indexOf(';');
  const media = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  if (media === 'application/json') return true;
  const slash = media.indexOf('/');
  if (slash < 0) return false;
  const main = media.slice(0, slash);
  const sub = media.slice(slash + 1);
  return (main === 'application' || main === '*') && (sub === 'json' || sub === '*');
}

export function parseJsonBody(raw: Buffer | null, contentType: string): BodyResult {
  if (raw === null || raw.length === 0) return { ok: true, value: {} };
  if (!isJsonMediaType(contentType)) return { ok: false, error: unsupportedMediaType(contentType) };
  const decoded = decodeBody(raw, contentType);
  if (!decoded.ok) {
    return {
      ok: false,
      error:
        decoded.codec === 'utf-8'
          ? ERRORS.invalid_utf8
          : parseError(`the body is not valid ${decoded.codec}`),
    };
  }
  const text = decoded.text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: parseError(describeJsonError(error, text)) };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    // Python's json.loads makes a number a float exactly when its text has a fraction or an exponent (1.0 and
    // 1e5 are floats, -0 is an int); JSON.parse loses that (1.0 → 1, -0 → -0), so the text decides.
    const shown = typeof value === 'number' ? (/[.eE]/.test(text) ? 0.5 : 0) : value;
    return { ok: false, error: notADictionary(shown) };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** A short message of our own: V8's messages quote the input, which we do not echo back. */
function describeJsonError(error: unknown, text: string): string {
  if (text.trim().length === 0) return 'the body is empty or only whitespace';
  const message = error instanceof Error ? error.message : '';
  const position = /position (\d+)/.exec(message);
  if (/Unexpected end|Unterminated/.test(message)) return 'the JSON text ends too early';
  if (position) return `invalid JSON at character ${position[1]}`;
  return 'the body is not valid JSON';
}
