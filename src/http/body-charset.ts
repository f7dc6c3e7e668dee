/**
 * Turns a request body into text by the charset its Content-Type declares, as Django and DRF do: Django sets
 * request.encoding from the charset parameter when Python knows the codec (an unknown one is ignored), and
 * DRF's JSONParser decodes the body with it. So `application/json; charset=ISO-8859-1` with Latin-1 bytes —
 * what some older HTTP clients send — means the same here as there. Without a charset, or with one Python does
 * not know, the body is UTF-8 (DEFAULT_CHARSET). Decoding is strict: bytes the codec cannot decode are an
 * error, named by the codec.
 *
 * The codecs are those of Python's that a JSON client may name: UTF-8, Latin-1, ASCII, UTF-16 (with or
 * without byte order) and Windows-1252; names go through Python's normalisation (case, '-', '_', ' ') and
 * aliases.
 */

export type BodyText = { ok: true; text: string } | { ok: false; codec: string };

type Codec = 'utf-8' | 'utf-8-sig' | 'latin-1' | 'ascii' | 'utf-16' | 'utf-16-le' | 'utf-16-be' | 'cp1252';

/** Python's encodings.aliases for these codecs, normalised (lower case, '-' and ' ' as '_'). */
const ALIASES: ReadonlyMap<string, Codec> = new Map([
  ...(['utf_8', 'utf8', 'u8', 'utf', 'utf8_ucs2', 'utf8_ucs4', 'cp65001'] as const).map(
    (name) => [name, 'utf-8'] as const,
  ),
  ['utf_8_sig', 'utf-8-sig'],
  ...(
    [
      'latin_1',
      'latin1',
      'latin',
      'l1',
      'iso_8859_1',
      'iso8859_1',
      'iso8859',
      '8859',
      'cp819',
      'iso_ir_100',
      'iso_8859_1:1987',
      'csisolatin1',
      'ibm819',
    ] as const
  ).map((name) => [name, 'latin-1'] as const),
  ...(
    [
      'ascii',
      'us_ascii',
      '646',
      'us',
      'ansi_x3.4_1968',
      'ansi_x3_4_1968',
      'ansi_x3.4_1986',
      'cp367',
      'csascii',
      'ibm367',
      'iso646_us',
      'iso_646.irv:1991',
      'iso_ir_6',
    ] as const
  ).map((name) => [name, 'ascii'] as const),
  ...(['utf_16', 'utf16', 'u16'] as const).map((name) => [name, 'utf-16'] as const),
  ...(['utf_16_le', 'utf_16le', 'unicodelittleunmarked'] as const).map(
    (name) => [name, 'utf-16-le'] as const,
  ),
  ...(['utf_16_be', 'utf_16be', 'unicodebigunmarked'] as const).map((name) => [name, 'utf-16-be'] as const),
  ...(['cp1252', 'windows_1252'] as const).map((name) => [name, 'cp1252'] as const),
]);

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf16le = new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true });
const utf16be = new TextDecoder('utf-16be', { fatal: true, ignoreBOM: true });
/**
 * Python's cp1252 for bytes 0x80-0x9F (the rest is Latin-1); -1 where it defines no character. Node's
 * TextDecoder('windows-1252') decodes these bytes as Latin-1, so the table is spelled out.
 */
// prettier-ignore
const CP1252_HIGH = [
  0x20ac, -1, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, -1, 0x017d, -1,
  -1, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, -1, 0x017e, 0x0178,
];

function decodeCp1252(raw: Buffer): string | null {
  let text = '';
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    const code = byte >= 0x80 && byte < 0xa0 ? CP1252_HIGH[byte - 0x80]! : byte;
    if (code < 0) return null;
    text += String.fromCharCode(code);
  }
  return text;
}

/** The codec a Content-Type's charset parameter names, or null for UTF-8 by default. */
export function declaredCodec(contentType: string): Codec | null {
  const at = contentType.toLowerCase().indexOf('charset=');
  if (at < 0) return null;
  let value = contentType.slice(at + 8);
  const end = value.indexOf(';');
  if (end >= 0) value = value.slice(0, end);
  value = value.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  const codec = ALIASES.get(value.toLowerCase().replace(/[- ]/g, '_'));
  return codec ?? null;
}

export function decodeBody(raw: Buffer, contentType: string): BodyText {
  const codec = contentType.includes(';') ? declaredCodec(contentType) : null;
  try {
    switch (codec) {
      case null:
      case 'utf-8':
        return { ok: true, text: utf8.decode(raw) };
      case 'utf-8-sig':
        return { ok: true, text: utf8.decode(hasPrefix(raw, 0xef, 0xbb, 0xbf) ? raw.subarray(3) : raw) };
      case 'latin-1':
        return { ok: true, text: raw.toString('latin1') };
      case 'ascii':
        for (let i = 0; i < raw.length; i++) if (raw[i]! > 0x7f) return { ok: false, codec };
        return { ok: true, text: raw.toString('latin1') };
      case 'utf-16':
        // Python's utf-16: a byte order mark decides and is dropped; without one, little-endian.
        if (hasPrefix(raw, 0xfe, 0xff)) return { ok: true, text: utf16be.decode(raw.subarray(2)) };
        return { ok: true, text: utf16le.decode(hasPrefix(raw, 0xff, 0xfe) ? raw.subarray(2) : raw) };
      case 'utf-16-le':
        return { ok: true, text: utf16le.decode(raw) };
      case 'utf-16-be':
        return { ok: true, text: utf16be.decode(raw) };
      case 'cp1252': {
        const text = decodeCp1252(raw);
        return text === null ? { ok: false, codec } : { ok: true, text };
      }
      default:
        return unreachable(codec);
    }
  } catch {
    return { ok: false, codec: codec ?? 'utf-8' };
  }
}

function unreachable(codec: never): never {
  throw new Error(`no decoder for ${String(codec)}`);
}

function hasPrefix(raw: Buffer, ...bytes: number[]): boolean {
  return raw.length >= bytes.length && bytes.every((byte, i) => raw[i] === byte);
}
