import { describe, expect, it } from 'vitest';
import { contentDisposition, unsupportedTypeReason } from './attachments';

describe('unsupportedTypeReason', () => {
  it.each([
    ['report.PDF', 'application/pdf'],
    ['scan.jfif', 'image/jpeg'],
    ['memo.rtf', 'text/rtf'],
    ['voice.wav', 'audio/x-wav'],
    ['sheet.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ])('accepts %s as %s', (name, type) => {
    expect(unsupportedTypeReason(name, type)).toBeUndefined();
  });

  it.each([
    ['archive.zip', 'application/zip', /extension \.zip/],
    ['README', 'text/plain', /no file extension/],
    ['.txt', 'text/plain', /no file extension/],
    ['notes.txt', 'text/plain; charset=utf-8', /not supported/],
    ['photo.png', 'image/jpeg', /does not match the file extension \.png \(expected image\/png\)/],
  ])('refuses %s as %s', (name, type, reason) => {
    expect(unsupportedTypeReason(name, type)).toMatch(reason);
  });
});

describe('contentDisposition', () => {
  it('keeps a plain name as Connect does', () => {
    expect(contentDisposition('56102_file.txt')).toBe('attachment; filename="56102_file.txt"');
  });

  it('adds an RFC 8187 filename* for names a quoted string cannot carry', () => {
    expect(contentDisposition('résumé (final).pdf')).toBe(
      `attachment; filename="r_sum_ (final).pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%28final%29.pdf`,
    );
    expect(contentDisposition('a"; filename="evil.exe.txt')).toBe(
      `attachment; filename="a_; filename=_evil.exe.txt"; filename*=UTF-8''a%22%3B%20filename%3D%22evil.exe.txt`,
    );
  });

  it('survives a lone surrogate and control characters', () => {
    const value = contentDisposition('bad\ud800\u0000name.txt');
    expect(value).toBe(`attachment; filename="bad__name.txt"; filename*=UTF-8''bad%EF%BF%BD%00name.txt`);
    expect(value).toMatch(/^[\x20-\x7e]+$/);
  });
});
