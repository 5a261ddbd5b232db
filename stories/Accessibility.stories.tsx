import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, userEvent, waitFor, within } from 'storybook/test';
import { pdf } from './files';
import { dragFiles, row, scenarioReady } from './queries';
import { scenario, type UploaderArgs } from './scenario';

/**
 * What the States stories do not show on screen: where keyboard focus goes when a row's buttons change or go, what
 * a row's buttons say besides their names, the focus ring where light-dark() is missing, and the dark theme's
 * contrast while files are dragged over.
 */
const meta = {
  title: 'AttachmentUploader/Accessibility',
  args: { onUploaded: fn(), onError: fn() },
  render: scenario(),
} satisfies Meta<UploaderArgs>;

export default meta;
type Story = StoryObj<typeof meta>;

// Real-time work after a story's script (a row's next notification, an upload running on): a generous bound.
const LIVE = { timeout: 5_000 };

/** Cancel, then Retry, by the person: focus stays on the row, on its new first button; never taken back from elsewhere. */
export const FocusStaysOnTheRow: Story = {
  name: 'Focus stays on the row',
  render: scenario(async ({ backend, drop, settle }) => {
    backend.inject({ kind: 'hold', operation: 'put', afterBytes: 300_000, count: 3 });
    drop(pdf('floor-plan.pdf', 1_000_000));
    await settle();
  }),
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const item = within(row(canvasElement, 'floor-plan.pdf'));

    await userEvent.click(item.getByRole('button', { name: 'Cancel floor-plan.pdf' }));
    await waitFor(() => expect(item.getByRole('button', { name: 'Retry floor-plan.pdf' })).toHaveFocus(), LIVE);
    await userEvent.click(item.getByRole('button', { name: 'Retry floor-plan.pdf' }));
    await waitFor(() => expect(item.getByRole('button', { name: 'Cancel floor-plan.pdf' })).toHaveFocus(), LIVE);

    // Focus left the row for <body> (a click on the page) before the row changed: it stays there.
    const cancel = item.getByRole('button', { name: 'Cancel floor-plan.pdf' });
    cancel.blur();
    cancel.click();
    await waitFor(() => expect(item.getByText('Cancelled')).toBeVisible(), LIVE);
    await expect(document.activeElement).toBe(document.body);

    // Focus elsewhere in the uploader: a row that changes does not take it.
    await userEvent.click(item.getByRole('button', { name: 'Retry floor-plan.pdf' }));
    await waitFor(() => expect(item.getByRole('button', { name: 'Cancel floor-plan.pdf' })).toHaveFocus(), LIVE);
    const choose = within(canvasElement).getByRole('button', { name: 'Choose files' });
    choose.focus();
    item.getByRole('button', { name: 'Cancel floor-plan.pdf' }).click();
    await waitFor(() => expect(item.getByText('Cancelled')).toBeVisible(), LIVE);
    await expect(choose).toHaveFocus();
  },
};

/** An upload ends while its Cancel button has focus: focus moves to Remove, which replaces it. */
export const FocusWhenAnUploadEnds: Story = {
  name: 'Focus when an upload ends',
  render: scenario(
    async ({ drop, runUntil, count }) => {
      drop(pdf('site-survey.pdf', 1_000_000));
      await runUntil(() => count('uploading') === 1, 'an upload under way');
    },
    // About 2.5 s of real time left once the play starts: long enough to focus Cancel first.
    { backend: { bytesPerSecond: 400_000 } },
  ),
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const item = within(row(canvasElement, 'site-survey.pdf'));
    item.getByRole('button', { name: 'Cancel site-survey.pdf' }).focus();
    await waitFor(() => expect(item.getByText('Uploaded')).toBeVisible(), { timeout: 10_000 });
    await expect(item.getByRole('button', { name: 'Remove site-survey.pdf' })).toHaveFocus();
  },
};

/** Remove: focus goes to the next row's first button, else the previous row's, else Choose files. */
export const FocusAfterRemove: Story = {
  name: 'Focus after Remove',
  render: scenario(async ({ drop, settle }) => {
    drop(pdf('first.pdf', 50_000), pdf('second.pdf', 50_000), pdf('third.pdf', 50_000));
    await settle();
  }),
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const canvas = within(canvasElement);
    const removing = async (name: string, next: string) => {
      await userEvent.click(canvas.getByRole('button', { name: `Remove ${name}` }));
      await waitFor(() => expect(canvas.queryByText(name)).not.toBeInTheDocument(), LIVE);
      await expect(canvas.getByRole('button', { name: next })).toHaveFocus();
    };
    await removing('second.pdf', 'Remove third.pdf');
    await removing('third.pdf', 'Remove first.pdf');
    await removing('first.pdf', 'Choose files');
  },
};

/** A row's buttons are described by its status and, when there is one, the reason: "Retry" says why. */
export const ButtonsSayWhy: Story = {
  name: 'Buttons say why',
  render: scenario(async ({ backend, drop, settle }) => {
    backend.inject({ kind: 'fail', operation: 'put', error: 'network', afterBytes: 200_000, count: 6 });
    drop(pdf('claim-form.pdf', 500_000));
    await settle();
    backend.inject({ kind: 'hold', operation: 'put', afterBytes: 100_000 });
    drop(pdf('receipt.pdf', 500_000));
    await settle();
  }),
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const failed = within(row(canvasElement, 'claim-form.pdf'));
    const reason = 'Failed “claim-form.pdf” could not be sent: the connection was lost. Check your connection and try again.';
    await expect(failed.getByRole('button', { name: 'Retry claim-form.pdf' })).toHaveAccessibleDescription(reason);
    await expect(failed.getByRole('button', { name: 'Remove claim-form.pdf' })).toHaveAccessibleDescription(reason);
    // No reason to give: the status alone, and no reference to an element that is not there.
    const cancel = within(row(canvasElement, 'receipt.pdf')).getByRole('button', { name: 'Cancel receipt.pdf' });
    await expect(cancel).toHaveAccessibleDescription('Uploading');
    await expect(cancel.getAttribute('aria-describedby')?.split(' ')).toHaveLength(1);
  },
};

/**
 * Where light-dark() is not supported, the palette's var() is invalid when used: the ring must still be drawn.
 * Played here by giving --cau-focus a function no browser knows.
 */
export const FocusRingWithoutLightDark: Story = {
  name: 'Focus ring without light-dark()',
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const root = canvasElement.querySelector<HTMLElement>('.cau');
    if (!root) throw new Error('No uploader.');
    const choose = within(canvasElement).getByRole('button', { name: 'Choose files' });
    await userEvent.tab();
    await expect(choose).toHaveFocus();
    await expect(choose.matches(':focus-visible')).toBe(true);
    // Where light-dark() works, the ring is the accent colour, as before.
    await expect(getComputedStyle(choose)).toMatchObject({ outlineStyle: 'solid', outlineWidth: '2px', outlineColor: 'rgb(9, 105, 218)' });

    root.style.setProperty('--cau-focus', 'unknown-color-function(#0969da, #4493f8)');
    await expect(getComputedStyle(choose)).toMatchObject({ outlineStyle: 'solid', outlineWidth: '2px' });
  },
};

/** WCAG's relative luminance of a computed `rgb(r, g, b)` colour. */
function luminance(color: string): number {
  const channels = color.match(/\d+(\.\d+)?/g)?.slice(0, 3).map(Number);
  if (channels?.length !== 3) throw new Error(`Not an rgb() colour: ${color}`);
  const [r = 0, g = 0, b = 0] = channels.map((value) => {
    const c = value / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return ((light ?? 0) + 0.05) / ((dark ?? 0) + 0.05);
}

/** Dark theme, files dragged over: every text of the zone keeps 4.5:1 on the lit zone (WCAG 1.4.3). */
export const DragOverDark: Story = {
  name: 'Drag over, dark theme',
  args: { className: 'cau--dark' },
  globals: { backgrounds: { value: 'dark' } },
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const root = canvasElement.querySelector('.cau');
    const zone = canvasElement.querySelector('.cau-zone');
    if (!root || !zone) throw new Error('No uploader.');
    dragFiles(root, 'dragenter', [pdf('lease.pdf')]);
    await waitFor(() => expect(root).toHaveClass('cau--drag-active'));
    const background = getComputedStyle(zone).backgroundColor;
    for (const selector of ['.cau-prompt', '.cau-limits']) {
      const text = zone.querySelector(selector);
      if (!text) throw new Error(`No ${selector}.`);
      await expect(contrast(getComputedStyle(text).color, background)).toBeGreaterThanOrEqual(4.5);
    }
  },
};
