/**
 * Length limits as Django and DRF count them: Python's len() counts Unicode code points, where JavaScript's
 * .length counts UTF-16 units. Each code point is one or two units, so the UTF-16 length bounds the count from
 * both sides, and code points are only counted in the narrow band where the two could disagree: a huge text
 * is judged without walking it.
 */
export function exceedsCodePoints(text: string, max: number): boolean {
  if (text.length <= max) return false;
  if (text.length > 2 * max) return true;
  let codePoints = 0;
  for (const _ of text) {
    if (++codePoints > max) return true;
  }
  return false;
}
