import type { ResolvedRules } from '../core/validate';

const SIZE_UNITS = ['B', 'KB', 'MB', 'GB'] as const;

/**
 * Human file size in binary multiples labelled KB/MB/GB, as Connect's documentation and most file managers write
 * them ("20 MB" is Connect's 20 × 1024 × 1024 byte limit). At most one decimal, none for whole numbers.
 */
export function formatBytes(bytes: number, locale?: string): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${numberFormat(locale, unit === 0 ? 0 : 1).format(value)} ${SIZE_UNITS[unit] ?? 'B'}`;
}

const numberFormats = new Map<string, Intl.NumberFormat>();

/** Formatters are costly to build and sizes are formatted on every render: one per locale and precision. */
export function numberFormat(locale: string | undefined, maximumFractionDigits: number): Intl.NumberFormat {
  const key = `${locale ?? ''} ${maximumFractionDigits}`;
  let format = numberFormats.get(key);
  if (!format) numberFormats.set(key, (format = new Intl.NumberFormat(locale, { maximumFractionDigits })));
  return format;
}

// C0, DEL and C1 controls, and the bidirectional overrides/isolates that can make "evil‮fdp.exe" read as a PDF.
const UNSAFE_DISPLAY_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** A file name made safe to show: invisible and direction-changing characters become U+FFFD, so what people read is what the file is called. */
export function displayName(name: string): string {
  return name.replace(UNSAFE_DISPLAY_CHARS, '\uFFFD');
}

/** `displayName`, shortened in the middle (keeping the extension) to at most `max` code points, for messages. */
export function shortName(name: string, max = 60): string {
  const points = Array.from(displayName(name));
  if (points.length <= max) return points.join('');
  const dot = name.lastIndexOf('.');
  const tailLength = dot > 0 && name.length - dot <= 10 ? Array.from(name.slice(dot)).length + 4 : 8;
  const head = points.slice(0, max - tailLength - 1).join('');
  return `${head}…${points.slice(points.length - tailLength).join('')}`;
}

/** Extension labels of the allowed types, e.g. `['PDF', 'PNG']`, for the zone's "what can I send" line. */
export function typeLabels(rules: ResolvedRules): string[] {
  return rules.types.flatMap((type) => type.extensions.map((extension) => extension.slice(1).toUpperCase()));
}
