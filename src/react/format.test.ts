import { describe, expect, it, vi } from 'vitest';
import { CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES } from '../core/allowed-types';
import { UploadError } from '../core/errors';
import { resolveRules } from '../core/validate';
import { displayName, formatSize, shortName, typeLabels } from './format';
import { defaultMessages, describeError, mergeMessages } from './messages';

describe('formatSize', () => {
  it.each([
    [0, '0 B'],
    [1023, '1,023 B'],
    [1024, '1 KB'],
    [1536, '1.5 KB'],
    [CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES, '20 MB'],
    [100 * 1024 * 1024, '100 MB'],
    [3 * 1024 ** 3, '3 GB'],
  ])('%d bytes → %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  it('gives the exact byte count when asked', () => {
    expect(formatSize(CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES + 1, true)).toBe('20,971,521 bytes');
  });
});

describe('displayName', () => {
  it('shows control and direction-changing characters as U+FFFD, so a name reads as what it is', () => {
    // "invoice‮fdp.exe" displays as "invoiceexe.pdf" without this.
    expect(displayName('invoice\u202Efdp.exe')).toBe('invoice\uFFFDfdp.exe');
    expect(displayName('a\u0000b\u007fc\u009fd.txt')).toBe('a\uFFFDb\uFFFDc\uFFFDd.txt');
    expect(displayName('日本語 résumé.pdf')).toBe('日本語 résumé.pdf');
    // Direction marks are invisible yet move the punctuation around them; validation accepts them (see validate).
    expect(displayName('invoice\u200F.pdf\u200E.exe')).toBe('invoice\uFFFD.pdf\uFFFD.exe');
  });
});

describe('shortName', () => {
  it('keeps short names whole and shortens long ones in the middle, keeping the extension', () => {
    expect(shortName('report.pdf')).toBe('report.pdf');
    const short = shortName(`${'a'.repeat(300)}.pdf`, 20);
    expect(Array.from(short)).toHaveLength(20);
    expect(short).toMatch(/^a{7}…a{8}\.pdf$/u);
    expect(shortName(`${'b'.repeat(100)}.xlsx`)).toBe(`${'b'.repeat(47)}…bbbbbbb.xlsx`);
  });

  it('shows a shortened name safely too', () => {
    expect(shortName(`${'c'.repeat(100)}\u202Efdp.exe`)).toBe(`${'c'.repeat(47)}…cccc\uFFFDfdp.exe`);
  });

  it('counts code points, never splitting a character', () => {
    const short = shortName(`${'😀'.repeat(100)}.png`, 20);
    expect(Array.from(short)).toHaveLength(20);
    expect(short).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/u);
  });
});

describe('messages', () => {
  it('lists accepted types from the resolved rules', () => {
    expect(typeLabels(resolveRules({ accept: ['image/jpeg'] }))).toEqual(['JPG', 'JPEG', 'JFIF']);
    expect(defaultMessages.list(typeLabels(resolveRules({ accept: ['.pdf', '.png'] })))).toBe('PDF or PNG');
  });

  it('gives exact byte counts when a size just over the limit rounds to the limit', () => {
    const limit = 20 * 1024 * 1024;
    const error = new UploadError('file-too-large', 'too large', { limit, actual: limit + 1 });
    expect(describeError(error, 'big.mov', resolveRules(), defaultMessages)).toBe(
      '“big.mov” is too large: 20,971,521 bytes, and the limit is 20,971,520 bytes.',
    );
  });

  it('names a mismatch it cannot identify without guessing', () => {
    const error = new UploadError('type-mismatch', 'mismatch', { extension: '.docx' });
    expect(describeError(error, 'letter.docx', resolveRules(), defaultMessages)).toBe(
      '“letter.docx” is not a DOCX: its content does not match its extension.',
    );
  });

  it('says what a mismatched file claims to be and what its content looks like', () => {
    const mismatch = (name: string, detectedType: string) =>
      describeError(new UploadError('type-mismatch', 'mismatch', { detectedType }), name, resolveRules(), defaultMessages);
    expect(mismatch('exe-as.pdf', 'application/x-msdownload')).toBe(
      '“exe-as.pdf” is not a PDF: its content looks like a Windows program.',
    );
    expect(mismatch('clip.mp4', 'video/quicktime')).toBe('“clip.mp4” is not an MP4: its content looks like an MOV.');
    expect(mismatch('photo.jpg', 'image/svg+xml')).toBe('“photo.jpg” is not a JPG: its content looks like an SVG.');
    expect(mismatch('sheet.xlsx', 'application/zip')).toBe(
      '“sheet.xlsx” is not an XLSX: its content looks like a compressed archive.',
    );
  });

  it('gives no limit or value for an error that has none', () => {
    const sentence = vi.fn(() => '');
    const messages = mergeMessages({ errors: { network: sentence } });
    describeError(new UploadError('network', 'lost'), 'a.pdf', resolveRules(), messages);
    expect(sentence).toHaveBeenCalledWith(expect.objectContaining({ name: 'a.pdf', limit: undefined, actual: undefined }));
  });

  it('merges a partial override one level deep and returns the defaults themselves without one', () => {
    expect(mergeMessages()).toBe(defaultMessages);
    const merged = mergeMessages({ retry: 'Réessayer', status: { failed: 'Échec' } });
    expect(merged.retry).toBe('Réessayer');
    expect(merged.status.failed).toBe('Échec');
    expect(merged.status.done).toBe('Uploaded');
    expect(merged.errors).toEqual(defaultMessages.errors);
  });
});
