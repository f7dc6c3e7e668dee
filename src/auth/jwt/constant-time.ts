/**
 * Equality of two strings whose time does not depend on where they differ. Comparing a MAC with === would
 * stop at the first wrong character, and the time difference lets an attacker forge a tag one character at a
 * time (RFC 7515 §10.7 asks for constant-time comparison). The lengths are not secret (a tag's length is
 * fixed by the algorithm), so unequal lengths return at once.
 *
 * Strings are compared in place, without Buffer.from() + crypto.timingSafeEqual(), which would allocate two
 * buffers per call; the loop always visits every character and accumulates with OR, leaving the compiler
 * nothing to short-circuit.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
