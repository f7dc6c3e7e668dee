/**
 * The little of DRF's serializers the token API and the example API need: CharField validation with DRF's
 * exact messages, run field by field in declaration order, errors collected per field.
 *
 * DRF CharField semantics kept on purpose (clients see them): numbers are accepted and taken as their decimal
 * text; booleans, lists and objects are "Not a valid string."; surrounding whitespace is trimmed
 * (trim_whitespace=True, even for simplejwt's password field); blank after trimming is refused.
 */
import { fieldErrors, type ErrorSpec } from '../errors.js';

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
    else errors.push([field.name, result.error]);
  }
  return errors.length > 0 ? { ok: false, error: fieldErrors(errors) } : { ok: true, values };
}

function charField(body: Record<string, unknown>, field: CharFieldSpec): string | { error: string } {
  if (!Object.hasOwn(body, field.name)) return { error: 'This field is required.' };
  const raw = body[field.name];
  if (raw === null) return { error: 'This field may not be null.' };
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (typeof raw === 'number' && Number.isFinite(raw)) text = pythonNumberText(raw);
  else return { error: 'Not a valid string.' };
  if (field.trimWhitespace !== false) text = text.trim();
  if (text === '') return { error: 'This field may not be blank.' };
  // DRF counts code points; a UTF-16 length over twice the limit is over it whatever the text, so a huge value
  // is refused without walking it.
  if (
    field.maxLength !== undefined &&
    text.length > field.maxLength &&
    (text.length > 2 * field.maxLength || [...text].length > field.maxLength)
  ) {
    return { error: `Ensure this field has no more than ${field.maxLength} characters.` };
  }
  return text;
}

/** str(n) in Python for the numbers JSON can carry (integers stay integers). */
function pythonNumberText(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e16 ? String(n) : String(n).replace('e+', 'e+');
}
