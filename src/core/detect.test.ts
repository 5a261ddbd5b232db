import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import { describe, expect, it } from 'vitest';
import manifest from '../../test/fixtures/samples/manifest.json';
import { CONNECT_ALLOWED_TYPES } from './allowed-types';
import { CFB_TYPE, contentMatches, OOXML_TYPE, SNIFF_BYTES, sniffType } from './detect';

const SAMPLES = path.resolve(import.meta.dirname, '../../test/fixtures/samples');
const OLE_TYPES = ['application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint'];
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const utf8 = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((offset, p) => (out.set(p, offset), offset + p.length), 0);
  return out;
};
/** A zip local file header (with a data descriptor, as Office writes) followed by some deflated-looking bytes. */
const zipEntry = (name: string) => {
  const header = new Uint8Array(30);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x04034b50, true);
  view.setUint16(6, 0x0808, true);
  view.setUint16(8, 8, true);
  view.setUint16(26, name.length, true);
  return concat(header, latin1(name), latin1('\xad\x92\xcfJ\x031\x10\x87\xef}\x8a'));
};
const ftyp = (major: string, ...compatible: string[]) => {
  const box = latin1(`\0\0\0\0ftyp${major}\0\0\0\0${compatible.join('')}`);
  new DataView(box.buffer).setUint32(0, box.length);
  return concat(box, latin1('\0\0\0\x08free\0\0\x10\0mdat'), new Uint8Array(64));
};

describe('sniffType over the sample files', () => {
  for (const sample of manifest.files) {
    it(`${sample.path}: agrees with file-type where it recognises the file`, async () => {
      const bytes = new Uint8Array(readFileSync(path.join(SAMPLES, sample.path)));
      const ours = sniffType(bytes.subarray(0, SNIFF_BYTES));
      const oracle = await fileTypeFromBuffer(bytes);
      expect(oracle ?? null, 'the manifest records what file-type detects').toEqual(sample.fileTypeDetects);

      if (oracle) expect(ours).toBe(oracle.mime === 'application/x-cfb' ? CFB_TYPE : oracle.mime);
      if (sample.kind === 'valid' && sample.expectedMime) {
        expect(contentMatches(sample.expectedMime, ours), `${String(ours)} for ${sample.expectedMime}`).toBe(true);
      }
    });
  }

  it('names the content of the text samples file-type cannot detect', () => {
    const sniff = (p: string) => sniffType(new Uint8Array(readFileSync(path.join(SAMPLES, p))));
    expect(sniff('sample.txt')).toBe('text/plain');
    expect(sniff('sample.csv')).toBe('text/plain');
    expect(sniff('hostile/eicar.txt')).toBe('text/plain');
    expect(sniff('hostile/html-as.txt')).toBe('text/html');
    expect(sniff('hostile/empty.pdf')).toBeUndefined();
  });

  it('tells OLE compound files apart from nothing: doc, xls and ppt are all CFB', () => {
    for (const p of ['sample.doc', 'sample.xls', 'sample.ppt']) {
      expect(sniffType(new Uint8Array(readFileSync(path.join(SAMPLES, p))))).toBe(CFB_TYPE);
    }
  });
});

describe('sniffType on synthetic heads, with file-type as the oracle', () => {
  const cases: [string, Uint8Array, string][] = [
    ['classic QuickTime (moov first)', concat(latin1('\0\0\0\x6cmoov\0\0\0\x6cmvhd'), new Uint8Array(100)), 'video/quicktime'],
    ['classic QuickTime (mdat first)', concat(latin1('\0\0\x10\0mdat'), new Uint8Array(100)), 'video/quicktime'],
    ['HEIF of another codec (mif1 only)', ftyp('mif1', 'mif1', 'miaf'), 'image/heif'],
    ['AVIF', ftyp('avif', 'avif', 'mif1', 'miaf'), 'image/avif'],
    ['MP4 (mp42)', ftyp('mp42', 'mp42', 'isom'), 'video/mp4'],
    ['QuickTime with ftyp', ftyp('qt  ', 'qt  '), 'video/quicktime'],
  ];
  for (const [label, head, expected] of cases) {
    it(label, async () => {
      expect((await fileTypeFromBuffer(head))?.mime).toBe(expected);
      expect(sniffType(head)).toBe(expected);
    });
  }
});

// Formats the detector deliberately leaves unnamed (a smaller bundle): file-type knows them, and whatever their
// extension they match no allowed type, so they are still refused.
describe('sniffType on formats it does not name', () => {
  const cases: [string, Uint8Array, string][] = [
    ['GIF', latin1('GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x01D\0;'), 'image/gif'],
    ['gzip', concat(latin1('\x1f\x8b\x08\0\0\0\0\0\0\x03'), new Uint8Array(32)), 'application/gzip'],
    ['7z', concat(latin1("7z\xbc\xaf'\x1c\0\x04"), new Uint8Array(32)), 'application/x-7z-compressed'],
    ['RAR', concat(latin1('Rar!\x1a\x07\x01\0'), new Uint8Array(32)), 'application/x-rar-compressed'],
    ['Mach-O 64', concat(latin1('\xcf\xfa\xed\xfe\x07\0\0\x01'), new Uint8Array(32)), 'application/x-mach-binary'],
    ['Mach-O 32 BE', concat(latin1('\xfe\xed\xfa\xce\0\0\0\x07'), new Uint8Array(32)), 'application/x-mach-binary'],
    ['WebP', concat(latin1('RIFF\x24\0\0\0WEBPVP8 '), new Uint8Array(32)), 'image/webp'],
    ['AVI', concat(latin1('RIFF\x24\0\0\0AVI LIST'), new Uint8Array(32)), 'video/vnd.avi'],
  ];
  for (const [label, head, fileTypeSays] of cases) {
    it(`${label}: unknown, and accepted as no allowed type`, async () => {
      expect((await fileTypeFromBuffer(head))?.mime).toBe(fileTypeSays);
      expect(sniffType(head)).toBeUndefined();
      for (const { mime } of CONNECT_ALLOWED_TYPES) expect(contentMatches(mime, sniffType(head)), mime).toBe(false);
    });
  }
});

describe('ISO base media brands', () => {
  it('takes HEVC-coded HEIF as HEIC whether the brand is major or compatible', () => {
    expect(sniffType(ftyp('heic', 'mif1', 'heic'))).toBe('image/heic');
    expect(sniffType(ftyp('heix', 'mif1', 'heix'))).toBe('image/heic');
    // Apple and libheif also write files with major brand mif1 and heic among the compatible ones.
    expect(sniffType(ftyp('mif1', 'mif1', 'heic'))).toBe('image/heic');
  });

  it('reads compatible brands only within the ftyp box', () => {
    const head = ftyp('mif1', 'mif1');
    const beyond = concat(head.subarray(0, 20), latin1('heic'), head.subarray(20));
    expect(sniffType(beyond)).toBe('image/heif');
  });
});

describe('OOXML recognition from local file headers', () => {
  it('recognises each main part, in Microsoft Office order and LibreOffice order', () => {
    const office = (dir: string) => concat(zipEntry('[Content_Types].xml'), zipEntry('_rels/.rels'), zipEntry(`${dir}document.xml`));
    expect(sniffType(office('word/'))).toBe(DOCX);
    expect(sniffType(office('xl/'))).toBe(XLSX);
    expect(sniffType(office('ppt/'))).toBe(PPTX);
    const libre = concat(zipEntry('_rels/.rels'), zipEntry('docProps/core.xml'), zipEntry('xl/workbook.xml'));
    expect(sniffType(libre)).toBe(XLSX);
  });

  it('takes the first main part: a document with an embedded workbook stays a document', () => {
    const head = concat(zipEntry('[Content_Types].xml'), zipEntry('word/document.xml'), zipEntry('word/embeddings/Sheet1.xlsx'), zipEntry('xl/x.xml'));
    expect(sniffType(head)).toBe(DOCX);
  });

  it('calls a package whose main part lies beyond the head generic OOXML', () => {
    const head = concat(zipEntry('[Content_Types].xml'), zipEntry('docProps/thumbnail.jpeg'), new Uint8Array(SNIFF_BYTES));
    const withMainPartLater = concat(head, zipEntry('word/document.xml'));
    expect(sniffType(withMainPartLater)).toBe(OOXML_TYPE);
  });

  it('refuses a zip that merely has an Office-like folder but no package markers', () => {
    expect(sniffType(concat(zipEntry('word/evil.exe'), zipEntry('readme.txt')))).toBe('application/zip');
    expect(sniffType(zipEntry('readme.txt'))).toBe('application/zip');
  });
});

describe('text sniffing', () => {
  it('accepts UTF-8 with or without a BOM, UTF-16 with a BOM, and single-byte legacy text', () => {
    expect(sniffType(utf8('id,name\n1,Zürich\r\n'))).toBe('text/plain');
    expect(sniffType(concat(latin1('\xef\xbb\xbf'), utf8('Grüße\tß\n')))).toBe('text/plain');
    // Excel's "Unicode text" and Notepad's "Unicode" are UTF-16LE with a BOM.
    expect(sniffType(concat(latin1('\xff\xfe'), latin1('i\0d\0,\0n\0\r\0\n\0')))).toBe('text/plain');
    expect(sniffType(concat(latin1('\xfe\xff'), latin1('\0i\0d\0,\0n\0\n')))).toBe('text/plain');
    expect(sniffType(latin1('caf\xe9;na\xefve;\x80 12\r\n'))).toBe('text/plain');
    expect(sniffType(utf8('\x1b[31mERROR\x1b[0m disk full\n'))).toBe('text/plain');
  });

  it('tolerates a multi-byte character cut off at the end of the head', () => {
    const text = utf8(`${'a'.repeat(SNIFF_BYTES - 1)}é and more`);
    expect(sniffType(text.subarray(0, SNIFF_BYTES))).toBe('text/plain');
    expect(sniffType(text)).toBe('text/plain');
    // UTF-16 cut in the middle of a code unit (a NUL byte follows): still text, not binary.
    const utf16 = concat(latin1('\xff\xfe'), latin1('a\0'.repeat(SNIFF_BYTES)));
    expect(sniffType(utf16.subarray(0, SNIFF_BYTES - 1))).toBe('text/plain');
  });

  it('treats NUL and other binary control bytes as not text', () => {
    expect(sniffType(utf8('hello\0world'))).toBeUndefined();
    expect(sniffType(latin1('caf\xe9\0'))).toBeUndefined();
    expect(sniffType(utf8('ab\x01\x02cd'))).toBeUndefined();
    expect(sniffType(latin1('\xff\xfeA\0\x01\0'))).toBeUndefined();
  });

  it('names markup a browser would render: HTML, XML, SVG, and script anywhere in the head', () => {
    expect(sniffType(utf8('\n  <HTML><body>hi</body></HTML>'))).toBe('text/html');
    expect(sniffType(utf8('<!-- note -->\nhello'))).toBe('text/html');
    expect(sniffType(utf8('<a href="javascript:alert(1)">x</a>'))).toBe('text/html');
    expect(sniffType(utf8('id,comment\n1,"<script>alert(1)</script>"\n'))).toBe('text/html');
    expect(sniffType(utf8('<?xml version="1.0"?><note/>'))).toBe('application/xml');
    expect(sniffType(utf8('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="x()">'))).toBe('image/svg+xml');
    expect(sniffType(utf8('<svg onload="x()">'))).toBe('image/svg+xml');
    expect(sniffType(concat(latin1('\xff\xfe'), latin1('<\0h\0t\0m\0l\0>\0')))).toBe('text/html');
    expect(sniffType(concat(latin1('\xef\xbb\xbf'), utf8(' <html><body>hi')))).toBe('text/html');
    expect(sniffType(concat(latin1('caf\xe9\n'), utf8('<script>alert(1)</script>')))).toBe('text/html');
  });

  it('keeps prose with angle brackets as text', () => {
    expect(sniffType(utf8('if a < b and c > d then <nothing>\n'))).toBe('text/plain');
    expect(sniffType(utf8('<<EOF\nprice <= 5\n'))).toBe('text/plain');
    expect(sniffType(utf8('<bold claims> are not tags\n'))).toBe('text/plain');
  });

  it('looks only at the first SNIFF_BYTES, however large the array', () => {
    const big = utf8(`${'x'.repeat(SNIFF_BYTES)}<script>alert(1)</script>${'y'.repeat(1 << 20)}`);
    expect(sniffType(big)).toBe('text/plain');
  });
});

describe('weak and offset signatures', () => {
  const mzBinary = concat(latin1('MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0'), new Uint8Array(200));

  it('names an MZ executable, but not a letter that starts with "MZ"', () => {
    expect(sniffType(mzBinary)).toBe('application/x-msdownload');
    expect(sniffType(utf8('MZ Smith called about the invoice.\n'))).toBe('text/plain');
  });

  it('does not take text with an atom-like word at offset 4 for a QuickTime movie', () => {
    expect(sniffType(utf8('Get free tickets now\n'))).toBe('text/plain');
  });

  it('finds a PDF header within the first 1024 bytes, after binary or text junk', () => {
    expect(sniffType(concat(new Uint8Array(300), latin1('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')))).toBe('application/pdf');
    expect(sniffType(utf8('Received: from mail\n\n%PDF-1.4\n'))).toBe('application/pdf');
    expect(sniffType(concat(new Uint8Array(1100), latin1('%PDF-1.7\n')))).toBeUndefined();
  });

  it('takes text that quotes a PDF header for text, and markup that hides one for markup', () => {
    expect(sniffType(utf8('Meeting notes: the broken file had the header %PDF-1.7 and no xref.\n'))).toBe('text/plain');
    expect(sniffType(utf8('id,header\n1,%PDF-1.4\n'))).toBe('text/plain');
    expect(sniffType(utf8('<html><script>alert(document.domain)</script><!--\n%PDF-1.4 -->'))).toBe('text/html');
    expect(sniffType(utf8('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><!-- %PDF-1.4 --></svg>'))).toBe('image/svg+xml');
  });

  it('names a PE/PDF polyglot an executable', () => {
    expect(sniffType(concat(mzBinary, latin1('%PDF-1.4\n')))).toBe('application/x-msdownload');
  });

  it('knows nothing about unknown binary or an empty head', () => {
    expect(sniffType(latin1('\x00\x01\x02\x03\x04\x05\x06\x07'))).toBeUndefined();
    expect(sniffType(latin1('RIFF\0\0\0\0CDXAfmt '))).toBeUndefined();
    expect(sniffType(new Uint8Array(0))).toBeUndefined();
  });
});

describe('contentMatches', () => {
  it('lets a generic CFB stand for doc, xls and ppt only', () => {
    for (const mime of OLE_TYPES) expect(contentMatches(mime, CFB_TYPE)).toBe(true);
    expect(contentMatches('application/pdf', CFB_TYPE)).toBe(false);
    expect(contentMatches(DOCX, CFB_TYPE)).toBe(false);
  });

  it('lets a generic OOXML package stand for docx, xlsx and pptx only', () => {
    for (const mime of [DOCX, XLSX, PPTX]) expect(contentMatches(mime, OOXML_TYPE)).toBe(true);
    expect(contentMatches('application/msword', OOXML_TYPE)).toBe(false);
  });

  it('requires the exact type otherwise, plain text also serving as CSV', () => {
    expect(contentMatches('text/csv', 'text/plain')).toBe(true);
    expect(contentMatches('text/plain', 'text/plain')).toBe(true);
    expect(contentMatches('text/plain', 'text/html')).toBe(false);
    expect(contentMatches('application/rtf', 'text/plain')).toBe(false);
    expect(contentMatches(DOCX, XLSX)).toBe(false);
    expect(contentMatches('application/pdf', undefined)).toBe(false);
  });
});
