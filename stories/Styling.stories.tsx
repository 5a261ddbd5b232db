import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, userEvent, within } from 'storybook/test';
import { pdf } from './files';
import { scenarioReady } from './queries';
import { scenario, type UploaderArgs } from './scenario';

/**
 * How a host restyles the uploader: --cau-* custom properties set where its own theme lives (an ancestor, or
 * .cau in a sheet of its own, loaded before or after ours).
 */
const meta = {
  title: 'AttachmentUploader/Styling',
  args: { onUploaded: fn(), onError: fn() },
  render: scenario(async ({ drop, settle, backend }) => {
    backend.inject({ kind: 'hold', operation: 'put', afterBytes: 50_000 });
    drop(pdf('floor-plan.pdf', 100_000));
    await settle();
  }),
} satisfies Meta<UploaderArgs>;

export default meta;
type Story = StoryObj<typeof meta>;

function parts(canvasElement: HTMLElement) {
  const root = canvasElement.querySelector<HTMLElement>('.cau');
  const zone = canvasElement.querySelector<HTMLElement>('.cau-zone');
  const progress = canvasElement.querySelector<HTMLElement>('.cau-progress');
  const choose = within(canvasElement).getByRole('button', { name: 'Choose files' });
  if (!root || !zone || !progress) throw new Error('No uploader.');
  return { root, zone, progress, choose };
}

/** The page's theme on an ancestor reaches the uploader; so does a rule on .cau from a sheet loaded before ours. */
export const ThemeFromOutside: Story = {
  name: 'Custom properties from an ancestor or an earlier sheet',
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const { root, zone, choose } = parts(canvasElement);
    await expect(getComputedStyle(choose).backgroundColor).toBe('rgb(9, 105, 218)');

    const ancestor = root.parentElement;
    if (!ancestor) throw new Error('No ancestor.');
    const earlier = document.createElement('style');
    earlier.textContent = '.cau { --cau-text: #112233; }';
    document.head.prepend(earlier);
    try {
      ancestor.style.setProperty('--cau-accent', '#7b2cbf');
      ancestor.style.setProperty('--cau-radius', '2px');
      await expect(getComputedStyle(choose).backgroundColor).toBe('rgb(123, 44, 191)');
      await expect(getComputedStyle(zone).borderTopLeftRadius).toBe('2px');
      await expect(getComputedStyle(root).color).toBe('rgb(17, 34, 51)');
      // --cau-focus follows the accent unless given.
      await userEvent.tab();
      await expect(choose).toHaveFocus();
      await expect(getComputedStyle(choose).outlineColor).toBe('rgb(123, 44, 191)');
    } finally {
      earlier.remove();
      ancestor.style.removeProperty('--cau-accent');
      ancestor.style.removeProperty('--cau-radius');
    }
  },
};
