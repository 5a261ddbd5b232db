import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import manifest from '../../test/fixtures/samples/manifest.json';
import { CONNECT_ALLOWED_TYPES, CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES } from './allowed-types';
import { SNIFF_BYTES } from './detect';
import { type UploadErrorCode, UploadError } from './errors';
import { acceptAttribute, checkFile, extensionOf, resolveRules, validateFile } from './validate';

const SAMPLES = path.resolve(import.meta.dirname, '../../test/fixtures/samples');
const DEFAULT_RULES = resolveRules();

/** A sample file as the browser would hand it over; `type` is what the OS claims (often wrong or empty). */
function sample(relative: string, options: { name?: string; type?: string } = {}): File {
  const bytes = readFileSync(path.join(SAMPLES, relative));
  return new File([bytes], options.name ?? path.basename(relative), { type: options.type ?? '' });
}

async function refusal(promise: Promise<unknown>): Promise<UploadError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UploadError);
  return error as UploadError;
}

function syncRefusal(run: () => unknown): UploadError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UploadError);
    return error as UploadError;
  }
  throw new Error('expected an UploadError');
}

describe('resolveRules', () => {
  it('defaults to every Connect type and the 20 MiB limit', () => {
    expect(DEFAULT_RULES.types).toEqual(CONNECT_ALLOWED_TYPES);
    expect(DEFAULT_RULES.maxFileSizeBytes).toBe(20 * 1024 * 1024);
    expect(resolveRules({ accept: [] }).types).toEqual(CONNECT_ALLOWED_TYPES);
  });

  it('narrows by extension to exactly those extensions', () => {
    const rules = resolveRules({ accept: ['.JPG', ' .pdf '] });
    expect(rules.types.map((t) => [t.mime, t.extensions])).toEqual([
      ['image/jpeg', ['.jpg']],
      ['application/pdf', ['.pdf']],
    ]);
  });

  it('narrows by canonical MIME type, alias and wildcard to whole types', () => {
    expect(resolveRules({ accept: ['audio/x-wav'] }).types.map((t) => t.mime)).toEqual(['audio/wav']);
    expect(resolveRules({ accept: ['text/richtext', 'image/jpeg'] }).types.map((t) => t.mime)).toEqual([
      'image/jpeg',
      'application/rtf',
    ]);
    expect(resolveRules({ accept: ['image/*'] }).types.map((t) => t.mime)).toEqual(['image/heic', 'image/jpeg', 'image/png']);
    expect(resolveRules({ accept: ['video/*'] }).types.map((t) => t.mime)).toEqual(['video/quicktime', 'video/mp4']);
    expect(resolveRules({ accept: ['text/*'] }).types.map((t) => t.mime)).toEqual(['text/csv', 'application/rtf', 'text/plain']);
    expect(resolveRules({ accept: ['*/*'] }).types).toEqual(CONNECT_ALLOWED_TYPES);
    // Mixing an extension with its whole type keeps the whole type.
    expect(resolveRules({ accept: ['.jpg', 'image/jpeg'] }).types[0]?.extensions).toEqual(['.jpg', '.jpeg', '.jfif']);
  });

  it('throws a TypeError for entries Connect cannot take, instead of silently dropping them', () => {
    for (const entry of ['.exe', '.gif', 'image/gif', 'image/jpg', 'font/*', 'pdf', '', 'application/x-cfb']) {
      expect(() => resolveRules({ accept: [entry] }), entry).toThrow(TypeError);
    }
    expect(() => resolveRules({ accept: ['.pdf', '.exe'] })).toThrow(/"\.exe"/);
  });

  it('rejects a limit that is not a whole positive number of bytes', () => {
    for (const limit of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => resolveRules({ maxFileSizeBytes: limit }), String(limit)).toThrow(TypeError);
    }
    expect(resolveRules({ maxFileSizeBytes: 1 }).maxFileSizeBytes).toBe(1);
  });
});

describe('acceptAttribute', () => {
  it('lists every extension and canonical MIME type by default', () => {
    const parts = acceptAttribute(DEFAULT_RULES).split(',');
    for (const type of CONNECT_ALLOWED_TYPES) expect(parts).toEqual(expect.arrayContaining([type.mime, ...type.extensions]));
    expect(parts).toHaveLength(18 + 16);
    expect(parts).not.toContain('audio/x-wav');
  });

  it('leaves out the MIME type of a type narrowed to some of its extensions', () => {
    expect(acceptAttribute(resolveRules({ accept: ['.jpg', 'audio/x-wav'] }))).toBe('.jpg,.wav,audio/wav');
  });
});

describe('checkFile: size', () => {
  it('refuses an empty file', async () => {
    const error = await refusal(validateFile(sample('hostile/empty.pdf'), DEFAULT_RULES));
    expect(error.code).toBe('file-empty');
    expect(error.details.actual).toBe(0);
  });

  it('accepts exactly the limit and refuses one byte more, with the facts', () => {
    const limit = CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES;
    expect(checkFile({ name: 'a.pdf', size: limit }, DEFAULT_RULES).sizeInBytes).toBe(limit);
    const error = syncRefusal(() => checkFile({ name: 'a.pdf', size: limit + 1 }, DEFAULT_RULES));
    expect(error.code).toBe('file-too-large');
    expect(error.details).toEqual({ limit, actual: limit + 1 });
    expect(error.message).toBe('The file is 20971521 bytes; the limit is 20971520 bytes.');
  });

  it('applies a custom limit to real files', async () => {
    const rules = resolveRules({ maxFileSizeBytes: 135 });
    expect((await validateFile(sample('sample.png'), rules)).sizeInBytes).toBe(135);
    const error = await refusal(validateFile(sample('sample.jpg'), rules));
    expect(error.code).toBe('file-too-large');
    expect(error.details).toEqual({ limit: 135, actual: 349 });
    expect(error.message).toBe('The file is 349 bytes; the limit is 135 bytes.');
  });
});

describe('checkFile: name', () => {
  const check = (name: string) => checkFile({ name, size: 5 }, DEFAULT_RULES);

  it('accepts 256 characters and refuses 257, counting code points', () => {
    expect(check(`${'a'.repeat(252)}.txt`).name).toHaveLength(256);
    const error = syncRefusal(() => check(`${'a'.repeat(253)}.txt`));
    expect(error.code).toBe('name-too-long');
    expect(error.details).toEqual({ limit: 256, actual: 257 });
    // 252 emoji are 504 UTF-16 units but 252 code points.
    expect(() => check(`${'😀'.repeat(252)}.txt`)).not.toThrow();
    expect(syncRefusal(() => check(`${'😀'.repeat(253)}.txt`)).details.actual).toBe(257);
  });

  it('keeps the name out of the message, whatever its length', () => {
    const error = syncRefusal(() => check(`${'a'.repeat(5000)}.txt`));
    expect(error.message).toBe('The name is 5004 characters; the limit is 256.');
  });

  it('refuses an empty name', () => {
    expect(syncRefusal(() => check('')).code).toBe('name-empty');
  });

  it('refuses C0, DEL and C1 control characters without echoing them raw', () => {
    for (const control of ['\u0000', '\u0007', '\n', '\r', '\t', '\u001b', '\u007f', '\u0085', '\u009f']) {
      const error = syncRefusal(() => check(`re${control}port.pdf`));
      expect(error.code, JSON.stringify(control)).toBe('name-invalid');
      expect(error.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(error.message).not.toContain('port.pdf');
    }
  });

  it('refuses bidi overrides that would disguise the extension on screen', () => {
    for (const bidi of ['\u202e', '\u202d', '\u2066', '\u2069']) {
      const error = syncRefusal(() => check(`invoice${bidi}fdp.exe.pdf`));
      expect(error.code, JSON.stringify(bidi)).toBe('name-invalid');
      expect(error.message).not.toContain(bidi);
    }
  });

  it('refuses path separators and broken Unicode', () => {
    expect(syncRefusal(() => check('../etc/passwd.txt')).code).toBe('name-invalid');
    expect(syncRefusal(() => check('C:\\Users\\me\\report.pdf')).code).toBe('name-invalid');
    expect(syncRefusal(() => check('half\ud83d.txt')).code).toBe('name-invalid');
  });

  it('accepts names in any script, with spaces and punctuation', () => {
    expect(check('Résumé — 日本語 (final) [v2].pdf').contentType).toBe('application/pdf');
  });

  it('accepts the direction marks that names in right-to-left scripts use (they are shown as U+FFFD)', () => {
    expect(check('\u05D3\u05D5\u05D7\u200F 2024\u200E.pdf').contentType).toBe('application/pdf');
    expect(check('\u062A\u0642\u0631\u064A\u0631\u200F.txt').contentType).toBe('text/plain');
  });
});

describe('checkFile: extension', () => {
  it('refuses extensions Connect does not take, and no extension', () => {
    for (const [name, extension] of [['setup.exe', '.exe'], ['cat.gif', '.gif'], ['README', ''], ['archive.pdf.zip', '.zip'], ['notes.', '.']]) {
      const error = syncRefusal(() => checkFile({ name: name ?? '', size: 5 }, DEFAULT_RULES));
      expect(error.code).toBe('type-not-allowed');
      expect(error.details.extension).toBe(extension);
    }
  });

  it('refuses a hidden-file name such as ".txt" as having no extension', () => {
    for (const name of ['.txt', '.PDF']) {
      const error = syncRefusal(() => checkFile({ name, size: 5 }, DEFAULT_RULES));
      expect(error.code).toBe('type-not-allowed');
      expect(error.details.extension).toBe('');
    }
  });

  it('takes the extension after the leading dot of a hidden file', () => {
    expect(checkFile({ name: '.hidden.pdf', size: 5 }, DEFAULT_RULES)).toMatchObject({ extension: '.pdf', contentType: 'application/pdf' });
  });

  it('ignores the case of the extension', () => {
    expect(checkFile({ name: 'SCAN.PDF', size: 5 }, DEFAULT_RULES)).toEqual({
      name: 'SCAN.PDF',
      sizeInBytes: 5,
      extension: '.pdf',
      contentType: 'application/pdf',
    });
  });
});

describe('extensionOf', () => {
  it.each([
    ['report.PDF', '.pdf'],
    ['archive.tar.gz', '.gz'],
    ['README', ''],
    ['', ''],
    ['.txt', ''],
    ['.hidden.pdf', '.pdf'],
    ['..txt', '.txt'],
    ['a.', '.'],
  ])('reads %j as %j, as path.extname does', (name, extension) => {
    expect(extensionOf(name)).toBe(extension);
    expect(path.extname(name).toLowerCase()).toBe(extension);
  });
});

describe('validateFile: every allowed type with its real sample', () => {
  const valid = manifest.files.filter((f) => f.kind === 'valid');
  it('covers all 18 extensions', () => {
    expect(new Set(valid.map((f) => f.extension))).toEqual(new Set(CONNECT_ALLOWED_TYPES.flatMap((t) => t.extensions)));
  });
  for (const file of valid) {
    it(`${file.path} → ${file.expectedMime}`, async () => {
      const checked = await validateFile(sample(file.path), DEFAULT_RULES);
      expect(checked).toEqual({
        name: path.basename(file.path),
        sizeInBytes: file.size,
        extension: file.extension,
        contentType: file.expectedMime,
      });
    });
  }
});

describe('validateFile: content decides, not File.type', () => {
  const spoofed: [string, UploadErrorCode, string | undefined][] = [
    ['hostile/exe-as.pdf', 'type-mismatch', 'application/x-msdownload'],
    ['hostile/elf-as.png', 'type-mismatch', 'application/x-elf'],
    ['hostile/zip-as.docx', 'type-mismatch', 'application/zip'],
    ['hostile/html-as.txt', 'type-mismatch', 'text/html'],
  ];
  for (const [file, code, detectedType] of spoofed) {
    it(`refuses ${file} and names its content`, async () => {
      const error = await refusal(validateFile(sample(file), DEFAULT_RULES));
      expect(error.code).toBe(code);
      expect(error.details).toEqual({ extension: path.extname(file), detectedType });
      expect(error.message).toContain(detectedType);
    });
  }

  it('refuses unrecognisable content under a binary extension', async () => {
    const file = new File([new Uint8Array(64).fill(7)], 'photo.png');
    const error = await refusal(validateFile(file, DEFAULT_RULES));
    expect(error.code).toBe('type-mismatch');
    expect(error.details).toEqual({ extension: '.png' });
  });

  it('refuses a PDF renamed .docx and text renamed .rtf', async () => {
    expect((await refusal(validateFile(sample('sample.pdf', { name: 'a.docx' }), DEFAULT_RULES))).details.detectedType).toBe(
      'application/pdf',
    );
    expect((await refusal(validateFile(sample('sample.txt', { name: 'a.rtf' }), DEFAULT_RULES))).details.detectedType).toBe(
      'text/plain',
    );
  });

  it('accepts a .csv with an empty File.type as text/csv and a .heic with none as image/heic', async () => {
    expect((await validateFile(sample('sample.csv', { type: '' }), DEFAULT_RULES)).contentType).toBe('text/csv');
    expect((await validateFile(sample('sample.heic', { type: '' }), DEFAULT_RULES)).contentType).toBe('image/heic');
  });

  it('ignores a lying File.type in both directions', async () => {
    const png = await validateFile(sample('sample.png', { type: 'application/pdf' }), DEFAULT_RULES);
    expect(png.contentType).toBe('image/png');
    const pdf = await validateFile(sample('sample.pdf', { type: 'image/png' }), DEFAULT_RULES);
    expect(pdf.contentType).toBe('application/pdf');
    const exe = await refusal(validateFile(sample('hostile/exe-as.pdf', { type: 'application/pdf' }), DEFAULT_RULES));
    expect(exe.code).toBe('type-mismatch');
  });

  it('accepts an upper-case extension on real content', async () => {
    const checked = await validateFile(sample('sample.pdf', { name: 'SCAN.PDF' }), DEFAULT_RULES);
    expect(checked).toMatchObject({ extension: '.pdf', contentType: 'application/pdf' });
  });

  it('accepts the same OLE container under any of doc, xls and ppt', async () => {
    for (const name of ['a.doc', 'a.xls', 'a.ppt']) {
      await expect(validateFile(sample('sample.doc', { name }), DEFAULT_RULES)).resolves.toMatchObject({ name });
    }
  });

  it('refuses one OOXML kind renamed as another', async () => {
    const error = await refusal(validateFile(sample('sample.xlsx', { name: 'a.docx' }), DEFAULT_RULES));
    expect(error.details.detectedType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  });
});

describe('validateFile: edge files', () => {
  it('accepts the 255-byte file name', async () => {
    const entry = manifest.files.find((f) => f.path.startsWith('hostile/long-name-255'));
    expect(entry).toBeDefined();
    const file = sample(entry?.path ?? '');
    expect(file.name).toHaveLength(255);
    expect((await validateFile(file, DEFAULT_RULES)).contentType).toBe('text/plain');
  });

  it('accepts a file whose name is markup: a name is data', async () => {
    const checked = await validateFile(sample('hostile/<img src=x onerror=alert(1)>.png'), DEFAULT_RULES);
    expect(checked).toMatchObject({ name: '<img src=x onerror=alert(1)>.png', contentType: 'image/png' });
  });

  it('accepts the EICAR text (the malware scan, not type detection, rejects it)', async () => {
    expect((await validateFile(sample('hostile/eicar.txt'), DEFAULT_RULES)).contentType).toBe('text/plain');
  });
});

describe('validateFile: accept narrowing', () => {
  it('by extension', async () => {
    const rules = resolveRules({ accept: ['.pdf'] });
    expect((await validateFile(sample('sample.pdf'), rules)).contentType).toBe('application/pdf');
    const error = await refusal(validateFile(sample('sample.png'), rules));
    expect(error.code).toBe('type-not-allowed');
    expect(error.details.extension).toBe('.png');
  });

  it('by one extension of a type: .jpg but not .jpeg', async () => {
    const rules = resolveRules({ accept: ['.jpg'] });
    expect((await validateFile(sample('sample.jpg'), rules)).contentType).toBe('image/jpeg');
    expect((await refusal(validateFile(sample('sample.jpeg'), rules))).code).toBe('type-not-allowed');
  });

  it('by MIME alias and wildcard', async () => {
    const wav = resolveRules({ accept: ['audio/x-wav'] });
    expect((await validateFile(sample('sample.wav'), wav)).contentType).toBe('audio/wav');
    expect((await refusal(validateFile(sample('sample.pdf'), wav))).code).toBe('type-not-allowed');
    const images = resolveRules({ accept: ['image/*'] });
    expect((await validateFile(sample('sample.heic'), images)).contentType).toBe('image/heic');
    expect((await validateFile(sample('sample.jfif'), images)).contentType).toBe('image/jpeg');
    expect((await refusal(validateFile(sample('sample.mp4'), images))).code).toBe('type-not-allowed');
  });
});

describe('validateFile: reading', () => {
  it('reads at most SNIFF_BYTES of a large file, never the whole of it', async () => {
    const body = new Uint8Array(4 * 1024 * 1024);
    body.set(readFileSync(path.join(SAMPLES, 'sample.pdf')));
    const file = new File([body], 'big.pdf');
    const slice = vi.spyOn(file, 'slice');
    // jsdom's Blob has no stream(); these are the whole-file readers it has.
    const whole = [vi.spyOn(file, 'arrayBuffer'), vi.spyOn(file, 'text')];

    expect((await validateFile(file, DEFAULT_RULES)).contentType).toBe('application/pdf');
    expect(slice).toHaveBeenCalled();
    for (const result of slice.mock.results) {
      expect(result.type).toBe('return');
      expect((result.value as Blob).size).toBeLessThanOrEqual(SNIFF_BYTES);
    }
    for (const spy of whole) expect(spy).not.toHaveBeenCalled();
  });

  it('checks names and sizes before reading anything', async () => {
    const file = new File(['MZ'], 'setup.exe');
    const slice = vi.spyOn(file, 'slice');
    expect((await refusal(validateFile(file, DEFAULT_RULES))).code).toBe('type-not-allowed');
    expect(slice).not.toHaveBeenCalled();
  });

  it('rejects with cancelled when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await refusal(validateFile(sample('sample.pdf'), DEFAULT_RULES, { signal: controller.signal }));
    expect(error.code).toBe('cancelled');
  });

  it('rejects with cancelled as soon as the signal aborts during the read', async () => {
    const file = sample('sample.pdf');
    const head = file.slice(0, SNIFF_BYTES);
    vi.spyOn(head, 'arrayBuffer').mockReturnValue(new Promise<ArrayBuffer>(() => {}));
    vi.spyOn(file, 'slice').mockReturnValue(head);
    const controller = new AbortController();
    const pending = validateFile(file, DEFAULT_RULES, { signal: controller.signal });
    controller.abort();
    expect((await refusal(pending)).code).toBe('cancelled');
  });

  it('reports a file that can no longer be read as an UploadError', async () => {
    const file = sample('sample.pdf');
    const head = file.slice(0, SNIFF_BYTES);
    const cause = new DOMException('The file could not be read.', 'NotReadableError');
    vi.spyOn(head, 'arrayBuffer').mockRejectedValue(cause);
    vi.spyOn(file, 'slice').mockReturnValue(head);
    const error = await refusal(validateFile(file, DEFAULT_RULES, { signal: new AbortController().signal }));
    expect(error.code).toBe('upload-failed');
    expect(error.cause).toBe(cause);
  });
});
