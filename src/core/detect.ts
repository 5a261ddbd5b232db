/**
 * File type detection from the first bytes: a small signature table for the types Amazon Connect accepts, plus
 * the foreign types worth naming when a file lies about its extension (executables, zip, markup). Other formats
 * are left unnamed (undefined), which no allowed type matches.
 * Deliberately not a general detector: the whole library has a 10 KiB budget.
 */

/** How many leading bytes detection looks at: enough for OOXML part names and a text sniff, never the whole file. */
export const SNIFF_BYTES = 8 * 1024;

/** An OLE compound file (doc, xls or ppt): which one is only known from its directory, often far past the head. */
export const CFB_TYPE = 'application/x-cfb';
/** An OOXML package whose main part (`word/`, `xl/`, `ppt/`) is not among the entries in the head. */
export const OOXML_TYPE = 'application/x-ooxml';

// Signatures of the head, read as latin1 (one char per byte). Foreign MIME names follow file-type's.
const SIGNATURES: readonly (readonly [RegExp, string])[] = [
  [/^\x89PNG/, 'image/png'],
  [/^\xff\xd8\xff/, 'image/jpeg'],
  [/^\{\\rtf/, 'application/rtf'],
  [/^RIFF[^]{4}WAVE/, 'audio/wav'],
  [/^\xd0\xcf\x11\xe0/, CFB_TYPE],
  [/^\x7fELF/, 'application/x-elf'],
];

/** What the first bytes are: a canonical allowed MIME type, a named foreign type, or undefined when unknown. */
export function sniffType(head: Uint8Array): string | undefined {
  const bytes = head.subarray(0, SNIFF_BYTES);
  if (!bytes.length) return undefined;
  // One char per byte of the first KiB, all that every check but the zip scan needs (an `ftyp` box's brands fit
  // well within it): converting the whole head costs ~0.3 ms a file.
  const s = String.fromCharCode(...bytes.subarray(0, 1024));
  const signed = SIGNATURES.find(([signature]) => signature.test(s));
  if (signed) return signed[1];
  if (s.startsWith('ftyp', 4)) return isoMediaType(bytes, s);
  if (s.startsWith('PK\x03\x04')) return zipType(String.fromCharCode(...bytes));
  const text = textType(bytes, s);
  // Weak signatures, checked only when the head is not text: "MZ…" or "Get free…" can start a letter.
  if (!text && s.startsWith('MZ')) return 'application/x-msdownload';
  // PDF readers accept junk before the header within the first 1024 bytes. In text, only at a line's start and
  // never in markup: a note or CSV that quotes "%PDF-1.7" is no PDF, nor is a page that hides one in a comment.
  // After the MZ check, so a PE/PDF polyglot is named an executable.
  if (text !== 'text/plain' ? !text && /%PDF-\d\./.test(s) : /(^|\n)%PDF-\d\./.test(s)) return 'application/pdf';
  // Top-level atoms an old QuickTime movie (no `ftyp`) starts with.
  return text ?? (/^[^]{4}(moov|mdat|wide|free|skip|pnot)/.test(s) ? 'video/quicktime' : undefined);
}

// A generic detection stands for any member of its family; plain text also serves as CSV.
const FAMILIES: Readonly<Record<string, RegExp>> = {
  [CFB_TYPE]: /^application\/(msword|vnd\.ms-)/,
  [OOXML_TYPE]: /openxmlformats/,
  'text/plain': /^text\/csv$/,
};

/** Whether content detected as `detected` may be sent under the canonical allowed type `mime`. */
export function contentMatches(mime: string, detected: string | undefined): boolean {
  return mime === detected || !!FAMILIES[detected ?? '']?.test(mime);
}

function isoMediaType(bytes: Uint8Array, s: string): string {
  const boxSize = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
  // The major brand and the compatible ones, within the box (the minor version between them is not a brand).
  const brands = s.slice(8, 12) + s.slice(16, boxSize);
  if (brands.startsWith('qt  ')) return 'video/quicktime';
  // HEVC-coded HEIF brands (heic heix heim heis, hevc hevx hevm hevs); plain `mif1` may hold AVC, JPEG or AV1 images instead.
  if (/^([^]{4})*he[iv][cxms]/.test(brands)) return 'image/heic';
  if (/^([^]{4})*avi[fs]/.test(brands)) return 'image/avif';
  return /^m[is]f1/.test(brands) ? 'image/heif' : 'video/mp4';
}

/** OOXML is a zip whose entries include `[Content_Types].xml` or `_rels/` and a main part directory. */
function zipType(s: string): string {
  // Local file headers (the name starts 30 bytes in) found by scanning rather than walking: Office writers use
  // data descriptors, so sizes in the header are 0.
  if (!/PK\x03\x04[^]{26}(\[Content_Types\]\.xml|_rels\/)/.test(s)) return 'application/zip';
  return OOXML_PARTS[/PK\x03\x04[^]{26}(word|xl|ppt)\//.exec(s)?.[1] ?? ''] ?? OOXML_TYPE;
}

const OOXML_PARTS: Readonly<Record<string, string>> = {
  word: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xl: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

// Markup a browser would sniff as HTML (WHATWG MIME Sniffing "identifying an unknown MIME type") after optional
// leading whitespace, or a script anywhere.
const HTML =
  /^\s*<(!doctype html|!--|(html|head|body|iframe|style|title|meta|link|object|embed|table|font|div|br|h1|a|b|p)[\s>/])|<script[\s>/]/i;
// Any control character but tab, LF, VT, FF, CR and ESC (ANSI-coloured logs are a common attachment).
const BINARY_CONTROL = /[\0-\x08\x0e-\x1a\x1c-\x1f\x7f]/;

const UTF16_BOMS: Readonly<Record<string, string>> = { '\xff\xfe': 'utf-16le', '\xfe\xff': 'utf-16be' };

/** 'text/plain' for plain text, a markup type for HTML/XML/SVG, undefined for anything that is not text. */
function textType(bytes: Uint8Array, s: string): string | undefined {
  // Not fatal: bytes that are not UTF-8 (legacy single-byte text such as windows-1252, a character cut off at the
  // end of the head) decode as U+FFFD and stay text; only control characters make a head binary.
  const text = new TextDecoder(UTF16_BOMS[s.slice(0, 2)] ?? 'utf-8').decode(bytes);
  if (BINARY_CONTROL.test(text)) return undefined;
  if (/^\s*<(\?xml|svg[\s>/])/i.test(text)) return /<svg[\s>/]/i.test(text) ? 'image/svg+xml' : 'application/xml';
  return HTML.test(text) ? 'text/html' : 'text/plain';
}
