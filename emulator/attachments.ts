import { CONNECT_ATTACHMENT_TYPES } from './connect-limits';

/** As Node's path.extname: a leading dot starts a hidden file's name (".txt" has no extension). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot).toLowerCase();
}

/**
 * Why Connect would refuse this name/type pair, or undefined when it accepts it: the extension must be on the
 * service's allow-list and the MIME type one it takes for that extension.
 */
export function unsupportedTypeReason(name: string, contentType: string): string | undefined {
  const extension = extensionOf(name);
  const accepted = CONNECT_ATTACHMENT_TYPES.get(extension);
  if (accepted === undefined) {
    return extension === ''
      ? 'The attachment name has no file extension; Amazon Connect accepts only supported file types.'
      : `The file extension ${extension} is not supported for attachments.`;
  }
  const mime = contentType.toLowerCase();
  if (accepted.includes(mime)) return undefined;
  if (![...CONNECT_ATTACHMENT_TYPES.values()].some((types) => types.includes(mime))) {
    return `The content type ${JSON.stringify(contentType)} is not supported for attachments.`;
  }
  return `The content type ${JSON.stringify(contentType)} does not match the file extension ${extension} (expected ${accepted[0]}).`;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The name with every character outside printable ASCII, and `"`, `\` and `%`, replaced by `_`. */
function asciiFallback(name: string): string {
  return [...name].map((char) => (/^[\x20-\x7e]$/.test(char) && !/["\\%]/.test(char) ? char : '_')).join('');
}

/**
 * `attachment; filename="..."` as Connect hands it out, safe for any name: a name that is not plain printable
 * ASCII (or holds `"`, `\` or `%`) gets an ASCII fallback plus the exact name in RFC 6266 / RFC 8187
 * `filename*=UTF-8''...`, so the header value never carries a control character, quote breakout or non-Latin-1 byte.
 */
export function contentDisposition(name: string): string {
  const fallback = asciiFallback(name);
  if (fallback === name) return `attachment; filename="${name}"`;
  // JSON can carry lone surrogates, which encodeURIComponent would throw on.
  const encoded = encodeURIComponent(name.replace(LONE_SURROGATE, '\ufffd')).replace(
    /['()*!]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
