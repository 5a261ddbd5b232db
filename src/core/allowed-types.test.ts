import { describe, expect, it } from 'vitest';
import manifest from '../../test/fixtures/samples/manifest.json';
import { CONNECT_ALLOWED_TYPES } from './allowed-types';

describe('CONNECT_ALLOWED_TYPES', () => {
  it('maps every extension to exactly one canonical type', () => {
    const extensions = CONNECT_ALLOWED_TYPES.flatMap((t) => t.extensions);
    expect(new Set(extensions).size).toBe(extensions.length);
    expect(extensions.sort()).toEqual(
      ['.csv', '.doc', '.docx', '.heic', '.jfif', '.jpeg', '.jpg', '.mov', '.mp4', '.pdf', '.png', '.ppt', '.pptx',
        '.rtf', '.txt', '.wav', '.xls', '.xlsx'],
    );
  });

  it('agrees with the MIME type of every real sample file', () => {
    const valid = manifest.files.filter((f) => f.kind === 'valid');
    expect(valid).toHaveLength(18);
    for (const sample of valid) {
      const type = CONNECT_ALLOWED_TYPES.find((t) => t.extensions.includes(sample.extension ?? ''));
      expect(type?.mime, sample.path).toBe(sample.expectedMime);
    }
  });
});
