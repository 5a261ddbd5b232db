/**
 * File type detection from the first bytes: a small signature table for the types Amazon Connect accepts, plus
 * the foreign types worth naming when a file lies about its extension (executables, archives, markup).
 * Deliberately not a general detector: the whole library has a 10 KiB budget.
 */

/** How many leading bytes detection looks at: enough for OOXML part names and a text sniff, never the whole file. */
export const SNIFF_BYTES = 8 * 1024;

/** An OLE compound file (doc, xls or ppt): which one is only known from its directory, often far past the head. */
export const CFB_TYPE = 'application/x-cfb';
/** An OOXML package whose main part (`word/`, `xl/`, `ppt/`) is not among the entries in the head. */
export const OOXML_TYPE = 'application/x-ooxml';

const MACHO = 'application/x-mach-binary';
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';

// Signatures at offset 0, as latin1 strings (one char per byte). Foreign MIME names follow file-type's.
const MAGIC: readonly (readonly [string, string])[] = [
  ['\x89PNG\r\n\x1a\n', 'image/png'],
  ['\xff\xd8\xff', 'image/jpeg'],
  ['%PDF-', 'application/pdf'],
  ['{\\rtf', 'application/rtf'],
  ['\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1', CFB_TYPE],
  ['\x7fELF', 'application/x-elf'],
  ['\xfe\xed\xfa\xce', MACHO],
  ['\xfe\xed\xfa\xcf', MACHO],
  ['\xce\xfa\xed\xfe', MACHO],
  ['\xcf\xfa\xed\xfe', MACHO],
  ['GIF8', 'image/gif'],
  ['\x1f\x8b\x08', 'application/gzip'],
  ["7z\xbc\xaf'\x1c", 'application/x-7z-compressed'],
  ['Rar!\x1a\x07', 'application/x-rar-compressed'],
];

const RIFF_FORMS: Readonly<Record<string, string>> = { WAVE: 'audio/wav', WEBP: 'image/webp', 'AVI ': 'video/vnd.avi' };
const OOXML_DIRS: Readonly<Record<string, string>> = { 'word/': DOCX, 'xl/': XLSX, 'ppt/': PPTX };
// HEVC-coded HEIF brands; plain `mif1` may hold AVC, JPEG or AV1 images instead.
const HEIC_BRANDS = ['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs'];
// Top-level atoms an old QuickTime movie (no `ftyp`) starts with.
const QUICKTIME_ATOMS = ['moov', 'mdat', 'wide', 'free', 'skip', 'pnot'];

/** What the first bytes are: a canonical allowed MIME type, a named foreign type, or undefined when unknown. */
export function sniffType(head: Uint8Array): string | undefined {
  const bytes = head.subarray(0, SNIFF_BYTES);
  if (bytes.length === 0) return undefined;
  const s = String.fromCharCode(...bytes);
  const magic = MAGIC.find(([signature]) => s.startsWith(signature));
  if (magic) return magic[1];
  if (s.startsWith('RIFF')) return RIFF_FORMS[s.slice(8, 12)];
  if (s.slice(4, 8) === 'ftyp') return isoMediaType(s);
  if (s.startsWith('PK\x03\x04')) return zipType(s);
  const text = textType(bytes);
  // Weak signatures, checked only when the head is not text: "MZ…" or "Get free…" can start a letter.
  if (!text && s.startsWith('MZ')) return 'application/x-msdownload';
  // PDF readers accept junk before the header within the first 1024 bytes; after the MZ check, so a PE/PDF
  // polyglot is named an executable.
  if (/%PDF-\d\./.test(s.slice(0, 1024))) return 'application/pdf';
  if (text) return text;
  if (QUICKTIME_ATOMS.includes(s.slice(4, 8))) return 'video/quicktime';
  return undefined;
}

/**
 * Whether content detected as `detected` may be sent under the canonical allowed type `mime`. Generic detections
 * stand for any member of their family, and text formats without magic (csv) accept any plain text.
 */
export function contentMatches(mime: string, detected: string | undefined): boolean {
  if (detected === mime) return true;
  switch (detected) {
    case CFB_TYPE:
      return mime === 'application/msword' || mime === 'application/vnd.ms-excel' || mime === 'application/vnd.ms-powerpoint';
    case OOXML_TYPE:
      return mime === DOCX || mime === XLSX || mime === PPTX;
    case 'text/plain':
      return mime === 'text/csv';
    default:
      return false;
  }
}

function isoMediaType(s: string): string {
  const major = s.slice(8, 12);
  if (major === 'qt  ') return 'video/quicktime';
  const boxSize = ((s.charCodeAt(0) << 24) | (s.charCodeAt(1) << 16) | (s.charCodeAt(2) << 8) | s.charCodeAt(3)) >>> 0;
  const boxEnd = Math.min(boxSize, s.length);
  const brands = [major];
  for (let i = 16; i + 4 <= boxEnd; i += 4) brands.push(s.slice(i, i + 4));
  if (brands.some((b) => HEIC_BRANDS.includes(b))) return 'image/heic';
  if (brands.includes('avif') || brands.includes('avis')) return 'image/avif';
  if (major === 'mif1' || major === 'msf1') return 'image/heif';
  return 'video/mp4';
}

/** OOXML is a zip whose entries include `[Content_Types].xml` or `_rels/` and a main part directory. */
function zipType(s: string): string {
  let ooxml = false;
  let main: string | undefined;
  // Scan for local file headers rather than walk them: Office writers use data descriptors (sizes 0 in the header).
  for (let i = s.indexOf('PK\x03\x04'); i >= 0; i = s.indexOf('PK\x03\x04', i + 4)) {
    const nameLength = s.charCodeAt(i + 26) | (s.charCodeAt(i + 27) << 8);
    const name = s.slice(i + 30, i + 30 + nameLength);
    if (name === '[Content_Types].xml' || name.startsWith('_rels/')) ooxml = true;
    main ??= OOXML_DIRS[name.slice(0, name.indexOf('/') + 1)];
  }
  return ooxml ? (main ?? OOXML_TYPE) : 'application/zip';
}

// Markup a browser would sniff as HTML/XML (WHATWG MIME Sniffing "identifying an unknown MIME type"), after
// optional leading whitespace.
const MARKUP =
  /^\s*(?:<!doctype html|<!--|<\?xml|<(?:html|head|body|script|iframe|style|title|meta|link|object|embed|svg|table|font|div|br|h1|a|b|p)[\s>/])/i;
// Any control character but tab, LF, VT, FF, CR and ESC (ANSI-coloured logs are a common attachment).
const BINARY_CONTROL = /[\0-\x08\x0e-\x1a\x1c-\x1f\x7f]/;

/** 'text/plain' for plain text, a markup type for HTML/XML/SVG, undefined for anything that is not text. */
function textType(bytes: Uint8Array): string | undefined {
  const text = decodeText(bytes);
  if (text === undefined || BINARY_CONTROL.test(text)) return undefined;
  const markup = MARKUP.exec(text)?.[0].trimStart().toLowerCase();
  if (markup?.startsWith('<svg')) return 'image/svg+xml';
  if (markup?.startsWith('<?xml')) return /<svg[\s>]/i.test(text) ? 'image/svg+xml' : 'application/xml';
  if (markup || /<script[\s>/]/i.test(text)) return 'text/html';
  return 'text/plain';
}

function decodeText(bytes: Uint8Array): string | undefined {
  // `stream: true` tolerates a multi-byte sequence cut off at the end of the head.
  const decode = (encoding: string) => new TextDecoder(encoding, { fatal: true }).decode(bytes, { stream: true });
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xfe) return decode('utf-16le');
    if (bytes[0] === 0xfe && bytes[1] === 0xff) return decode('utf-16be');
    return decode('utf-8');
  } catch {
    // Not UTF-8 (or a broken UTF-16): plausible legacy single-byte text when no NUL is present.
    return bytes.includes(0) ? undefined : new TextDecoder('windows-1252').decode(bytes);
  }
}
