/**
 * The emulator keeps its own copy of Connect's limits so that it can catch the library's mistakes; this is where a
 * drift between the two copies fails, whichever side it is on.
 */
import { describe, expect, it } from 'vitest';
import { CONNECT_ALLOWED_TYPES, CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES } from '../src/core/allowed-types';
import { extensionOf as clientExtensionOf } from '../src/core/validate';
import { extensionOf, unsupportedTypeReason } from './attachments';
import { CONNECT_ATTACHMENT_TYPES, CONNECT_DEFAULT_MAX_ATTACHMENT_SIZE_BYTES } from './connect-limits';

// Aliases the library takes in `accept` but never sends as ContentType, and that the service's list lacks.
const LIBRARY_ONLY_ALIASES = ['image/pjpeg', 'audio/wave'];

/** Per extension, the sorted MIME types. */
function byExtension(entries: Iterable<readonly [string, readonly string[]]>): Record<string, string[]> {
  return Object.fromEntries([...entries].map(([extension, types]) => [extension, [...types].sort()]));
}

describe("the emulator's limits and the library's", () => {
  it('allow the same extensions', () => {
    const library = CONNECT_ALLOWED_TYPES.flatMap((type) => type.extensions);
    expect([...CONNECT_ATTACHMENT_TYPES.keys()].sort()).toEqual([...library].sort());
  });

  it('know the same MIME types for each extension', () => {
    const library = CONNECT_ALLOWED_TYPES.flatMap((type) =>
      type.extensions.map((extension) => [extension, [type.mime, ...type.aliases].filter((mime) => !LIBRARY_ONLY_ALIASES.includes(mime))] as const),
    );
    expect(byExtension(library)).toEqual(byExtension(CONNECT_ATTACHMENT_TYPES));
  });

  it('let through the ContentType the library sends for every extension', () => {
    for (const type of CONNECT_ALLOWED_TYPES) {
      for (const extension of type.extensions) expect(unsupportedTypeReason(`file${extension}`, type.mime), extension).toBeUndefined();
    }
  });

  it('have the same default maximum size', () => {
    expect(CONNECT_DEFAULT_MAX_ATTACHMENT_SIZE_BYTES).toBe(CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES);
  });

  it('read a name’s extension alike, so the client never passes a name the service refuses', () => {
    for (const name of ['report.PDF', 'archive.tar.gz', 'README', '', '.txt', '.hidden.pdf', '..txt', 'a.']) {
      expect(clientExtensionOf(name), name).toBe(extensionOf(name));
    }
  });
});
