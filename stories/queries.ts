import { expect, waitFor, within } from 'storybook/test';

/** Waits until the story's scenario has brought the uploader into its state (and fails at once if it could not). */
export async function scenarioReady(canvasElement: HTMLElement): Promise<void> {
  const frame = canvasElement.querySelector('[data-scenario]');
  await waitFor(() => expect(frame).not.toHaveAttribute('data-scenario', 'running'), { timeout: 15_000 });
  await expect(frame).toHaveAttribute('data-scenario', 'ready');
}

/** The list row of the file with this name, found by the name a person reads in it. */
export function row(canvasElement: HTMLElement, name: string): HTMLElement {
  const item = within(canvasElement).getByText(name).closest('li');
  if (!item) throw new Error(`"${name}" is not in a list row.`);
  return item;
}

/** Drag events as a browser fires them while files are dragged onto an element. */
export function dragFiles(target: Element, type: 'dragenter' | 'dragover' | 'dragleave' | 'drop', files: File[]): DragEvent {
  const transfer = new DataTransfer();
  for (const file of files) transfer.items.add(file);
  const event = new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer });
  target.dispatchEvent(event);
  return event;
}
