import { describe, expect, it } from 'vitest';
import { CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES } from '../core/allowed-types';
import { UploadError } from '../core/errors';
import { resolveRules } from '../core/validate';
import { displayName, formatBytes, shortName, typeLabels } from './format';
import { defaultMessages, describeError, mergeMessages } from './messages';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1,023 B'],
    [1024, '1 KB'],
    [1536, '1.5 KB'],
    [CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES, '20 MB'],
    [100 * 1024 * 1024, '100 MB'],
    [3 * 1024 ** 3, '3 GB'],
  ])('%d bytes → %s', (bytes, text) => {
    expect(formatBytes(bytes, 'en')).toBe(text);
  });
});

describe('displayName', () => {
  it('shows control and direction-changing characters as U+FFFD, so a name reads as what it is', () => {
    // "invoice‮fdp.exe" displays as "invoiceexe.pdf" without this.
    expect(displayName('invoice\u202Efdp.exe')).toBe('invoice\uFFFDfdp.exe');
    expect(displayName('a\u0000b\u007fc\u009fd.txt')).toBe('a\uFFFDb\uFFFDc\uFFFDd.txt');
    expect(displayName('日本語 résumé.pdf')).toBe('日本語 résumé.pdf');
  });
});

describe('shortName', () => {
  it('keeps short names whole and shortens long ones in the middle, keeping the extension', () => {
    expect(shortName('report.pdf')).toBe('report.pdf');
    const short = shortName(`${'a'.repeat(300)}.pdf`, 20);
    expect(Array.from(short)).toHaveLength(20);
    expect(short).toMatch(/^a+…a{4}\.pdf$/u);
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
      '“letter.docx” is not a Word document: its content does not match its extension.',
    );
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
