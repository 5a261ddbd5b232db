import type { ResolvedRules } from '../core/validate';

const SIZE_UNITS = ['B', 'KB', 'MB', 'GB'] as const;

/** Built on first use: a formatter is costly to build and sizes are formatted on every render. */
let sizeFormat: Intl.NumberFormat | undefined;

/**
 * A file size in English: binary multiples labelled KB/MB/GB, as Connect's documentation and most file managers
 * write them ("20 MB" is Connect's 20 × 1024 × 1024 byte limit), at most one decimal; `exact` gives the byte count
 * ("20,971,521 bytes"). Byte counts are whole, so one formatter (one decimal at most) serves both.
 */
export function formatSize(bytes: number, exact?: boolean): string {
  let value = bytes;
  let unit = 0;
  while (!exact && value >= 1024 && SIZE_UNITS[unit + 1]) {
    value /= 1024;
    unit++;
  }
  const number = (sizeFormat ??= new Intl.NumberFormat('en', { maximumFractionDigits: 1 })).format(value);
  return `${number} ${exact ? 'bytes' : SIZE_UNITS[unit]}`;
}

// C0, DEL and C1 controls (\p{Cc}), and the bidirectional marks, overrides and isolates that can make "evil‮fdp.exe"
// read as a PDF.
const UNSAFE_DISPLAY_CHARS = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** A file name made safe to show: invisible and direction-changing characters become U+FFFD, so what people read is what the file is called. */
export function displayName(name: string): string {
  return name.replace(UNSAFE_DISPLAY_CHARS, '\uFFFD');
}

/**
 * `displayName`, shortened in the middle to at most `max` code points, for messages; the last 12 are kept, so an
 * extension stays whole: "quarterly-report-for-th…for-2025.pdf".
 */
export function shortName(name: string, max = 60): string {
  const points = Array.from(displayName(name));
  return points.length > max ? `${points.slice(0, max - 13).join('')}…${points.slice(-12).join('')}` : points.join('');
}

/** Extension labels of the allowed types, e.g. `['PDF', 'PNG']`, for the zone's "what can I send" line. */
export function typeLabels(rules: ResolvedRules): string[] {
  return rules.types.flatMap((type) => type.extensions.map((extension) => extension.slice(1).toUpperCase()));
}
