/**
 * The little of DRF's serializers the token API and the example API need: CharField validation with DRF's
 * exact messages, run field by field in declaration order, errors collected per field.
 *
 * DRF CharField semantics kept on purpose (clients see them): numbers are accepted and taken as their decimal
 * text; booleans, lists and objects are "Not a valid string."; surrounding whitespace is trimmed as Python
 * trims it (trim_whitespace=True, even for simplejwt's password field); blank after trimming is refused; then
 * every validator runs and each failure is reported: max_length, null characters, lone surrogates.
 */
import { fieldErrors, type ErrorSpec } from '../errors.js';
import { exceedsCodePoints } from '../text/code-points.js';

export interface CharFieldSpec {
  readonly name: string;
  readonly maxLength?: number;
  readonly trimWhitespace?: boolean;
}

export type Validated = { ok: true; values: Record<string, string> } | { ok: false; error: ErrorSpec };

export function validateCharFields(
  body: Record<string, unknown>,
  fields: readonly CharFieldSpec[],
): Validated {
  const errors: [string, string][] = [];
  const values: Record<string, string> = {};
  for (const field of fields) {
    const result = charField(body, field);
    if (typeof result === 'string') values[field.name] = result;
    else for (const message of result.errors) errors.push([field.name, message]);
  }
  return errors.length > 0 ? { ok: false, error: fieldErrors(errors) } : { ok: true, values };
}

function charField(body: Record<string, unknown>, field: CharFieldSpec): string | { errors: string[] } {
  if (!Object.hasOwn(body, field.name)) return { errors: ['This field is required.'] };
  const raw = body[field.name];
  if (raw === null) return { errors: ['This field may not be null.'] };
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (typeof raw === 'number' && Number.isFinite(raw)) text = pythonNumberText(raw);
  else return { errors: ['Not a valid string.'] };
  if (field.trimWhitespace !== false) text = pythonStrip(text);
  if (text === '') return { errors: ['This field may not be blank.'] };
  // DRF runs every validator of the field and reports each failure, in this order.
  const errors: string[] = [];
  if (field.maxLength !== undefined && exceedsCodePoints(text, field.maxLength))
    errors.push(`Ensure this field has no more than ${field.maxLength} characters.`);
  if (text.includes('\0')) errors.push('Null characters are not allowed.');
  if (SURROGATE.test(text)) {
    const lone = firstLoneSurrogate(text);
    if (lone !== null)
      errors.push(`Surrogate characters are not allowed: U+${lone.toString(16).toUpperCase()}.`);
  }
  return errors.length > 0 ? { errors } : text;
}

/**
 * Python's str.strip(): the characters str.isspace() names, which are not JavaScript's trim() set (Python
 * also strips U+001C-U+001F and U+0085, and keeps U+FEFF). A loop from both ends, linear whatever the text
 * (a regular expression anchored at the end would be quadratic on a long run of inner spaces).
 */
function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isPythonSpace(text.charCodeAt(start))) start++;
  while (end > start && isPythonSpace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

function isPythonSpace(code: number): boolean {
  if (code <= 0x20) return (code >= 0x09 && code <= 0x0d) || code >= 0x1c;
  if (code < 0x85) return false;
  return (
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** Any UTF-16 surrogate code unit (a regular expression without the u flag sees code units). */
const SURROGATE = /[\ud800-\udfff]/;

/**
 * ProhibitSurrogateCharactersValidator names the first surrogate code point. JSON's \uD83C\uDF6E pair is one
 * character in Python as in JavaScript, so only a lone surrogate counts.
 */
function firstLoneSurrogate(text: string): number | null {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
    else return unit;
  }
  return null;
}

/** str(n) in Python for the numbers JSON can carry (integers stay integers). */
function pythonNumberText(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e16 ? String(n) : String(n).replace('e+', 'e+');
}
