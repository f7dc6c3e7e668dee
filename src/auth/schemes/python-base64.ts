/**
 * Python's `base64.b64decode(s)` (validate=False), which DRF's BasicAuthentication uses, reproduced so that the
 * same header gets the same answer here as there. It is lenient in specific ways (CPython's
 * binascii.a2b_base64 in non-strict mode):
 *  - characters outside the base64 alphabet are skipped;
 *  - `=` ends the data once it completes a quantum (at least two data characters before it, then enough pads);
 *    other `=` are skipped;
 *  - what remains must not end mid-quantum: one leftover character, or two or three without their pads, is an
 *    error ("Incorrect padding").
 * Returns the decoded bytes, or null where Python raises binascii.Error.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int8Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
const PAD = 0x3d;

/** `text` holds one character per byte (latin-1), as header values do. */
export function pythonB64Decode(text: string): Buffer | null {
  const out = Buffer.allocUnsafe(Math.floor((text.length * 3) / 4) + 3);
  let length = 0;
  let quadPos = 0;
  let leftChar = 0;
  let pads = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === PAD) {
      if (quadPos >= 2 && quadPos + ++pads >= 4) return out.subarray(0, length);
      continue;
    }
    const value = code < 256 ? DECODE[code]! : -1;
    if (value < 0) continue;
    pads = 0;
    switch (quadPos) {
      case 0:
        quadPos = 1;
        leftChar = value;
        break;
      case 1:
        quadPos = 2;
        out[length++] = ((leftChar << 2) | (value >> 4)) & 0xff;
        leftChar = value & 0x0f;
        break;
      case 2:
        quadPos = 3;
        out[length++] = ((leftChar << 4) | (value >> 2)) & 0xff;
        leftChar = value & 0x03;
        break;
      default:
        quadPos = 0;
        out[length++] = ((leftChar << 6) | value) & 0xff;
        leftChar = 0;
    }
  }
  return quadPos === 0 ? out.subarray(0, length) : null;
}
