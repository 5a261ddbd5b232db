/**
 * A dropped folder arrives as a `File` that cannot be read (reading it fails or hangs, depending on the browser).
 * The drop handler swaps it for an empty placeholder, which validation refuses as `file-empty` without touching
 * the disk, and remembers the placeholder here so the UI can say "this is a folder" instead of "this is empty".
 */
export const folderPlaceholders = new WeakSet<File>();

export function folderPlaceholder(name: string): File {
  const placeholder = new File([], name);
  folderPlaceholders.add(placeholder);
  return placeholder;
}
