// Files built in memory with real content: type detection reads the first bytes, so every story file starts with
// the bytes its type really starts with (or, for the spoofed ones, the bytes of what it really is).
import samplePng from '../test/fixtures/samples/sample.png?inline';
import windowsProgram from '../test/fixtures/samples/hostile/exe-as.pdf?inline';

function bytesOf(dataUrl: string): Uint8Array<ArrayBuffer> {
  const binary = atob(dataUrl.slice(dataUrl.indexOf(',') + 1));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** A PDF of `size` bytes: a real header, then padding. */
export function pdf(name: string, size = 200 * 1024): File {
  const bytes = new Uint8Array(size);
  bytes.set(new TextEncoder().encode('%PDF-1.7\n').subarray(0, size));
  return new File([bytes], name, { type: 'application/pdf' });
}

/** The 32×32 gradient PNG of test/fixtures/samples (it shows as a thumbnail). */
export function png(name: string): File {
  return new File([bytesOf(samplePng)], name, { type: 'image/png' });
}

export function csv(name: string): File {
  return new File(['date,meter,reading\n2026-01-14,A-17,48213\n2026-01-15,A-17,48297\n'], name, { type: 'text/csv' });
}

/** A Windows program (test/fixtures/samples/hostile/exe-as.pdf: an MZ/PE stub) under any name, e.g. "invoice.pdf". */
export function windowsExecutable(name: string): File {
  return new File([bytesOf(windowsProgram)], name, { type: name.endsWith('.pdf') ? 'application/pdf' : '' });
}

export function emptyFile(name: string): File {
  return new File([], name, { type: 'text/plain' });
}
