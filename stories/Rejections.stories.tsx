import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, within } from 'storybook/test';
import type { UploadErrorCode } from '../src/index';
import { emptyFile, pdf, windowsExecutable } from './files';
import { row, scenarioReady } from './queries';
import { scenario, type UploaderArgs, type ScenarioScript } from './scenario';

/**
 * Each reason a file is refused before a byte is sent: the row says why in words, offers Remove (retrying
 * cannot help), and the host's `onError` gets the stable code.
 */
const meta = {
  title: 'AttachmentUploader/Rejected files',
  args: { onUploaded: fn(), onError: fn() },
} satisfies Meta<UploaderArgs>;

export default meta;
type Story = StoryObj<UploaderArgs>;

const dropping = (file: File): ScenarioScript =>
  async ({ drop, settle }) => {
    drop(file);
    await settle();
  };

/** What every refused row shows, found by the name a person reads in it. */
async function expectRefused(
  canvasElement: HTMLElement,
  args: UploaderArgs,
  shownName: string,
  code: UploadErrorCode,
  message: string | RegExp,
): Promise<HTMLElement> {
  await scenarioReady(canvasElement);
  const element = row(canvasElement, shownName);
  const item = within(element);
  await expect(item.getByText('Not added')).toBeVisible();
  await expect(item.getByText(message)).toBeVisible();
  await expect(item.getByRole('button', { name: `Remove ${shownName}` })).toBeVisible();
  await expect(item.queryByRole('button', { name: /^(Retry|Cancel) / })).not.toBeInTheDocument();
  await expect(item.queryByRole('progressbar')).not.toBeInTheDocument();
  await expect(args.onError).toHaveBeenCalledTimes(1);
  await expect(args.onError).toHaveBeenCalledWith(expect.objectContaining({ code }), expect.any(File), expect.anything());
  await expect(args.onUploaded).not.toHaveBeenCalled();
  return element;
}

/** A Windows program renamed to .pdf: caught by its first bytes (MZ), whatever its name and `File.type` say. */
export const SpoofedContent: Story = {
  name: 'Content does not match the extension',
  render: scenario(dropping(windowsExecutable('invoice.pdf'))),
  play: async ({ canvasElement, args }) => {
    await expectRefused(
      canvasElement,
      args,
      'invoice.pdf',
      'type-mismatch',
      '“invoice.pdf” is not a PDF: its content looks like a Windows program.',
    );
  },
};

export const TypeNotAllowed: Story = {
  name: 'Type not accepted',
  render: scenario(dropping(windowsExecutable('setup.exe'))),
  play: async ({ canvasElement, args }) => {
    await expectRefused(
      canvasElement,
      args,
      'setup.exe',
      'type-not-allowed',
      /^“setup\.exe” cannot be sent: \.exe files are not accepted\. Accepted: CSV, .*PDF, .*XLSX\.$/,
    );
  },
};

/** Over Connect's default 20 MB limit. */
export const TooLarge: Story = {
  name: 'Too large',
  render: scenario(dropping(pdf('site-survey.pdf', 24 * 1024 * 1024))),
  play: async ({ canvasElement, args }) => {
    const element = await expectRefused(
      canvasElement,
      args,
      'site-survey.pdf',
      'file-too-large',
      '“site-survey.pdf” is too large: 24 MB, and the limit is 20 MB.',
    );
    await expect(within(element).getByText('24 MB')).toBeVisible();
  },
};

export const EmptyFile: Story = {
  name: 'Empty file',
  render: scenario(dropping(emptyFile('notes.txt'))),
  play: async ({ canvasElement, args }) => {
    await expectRefused(canvasElement, args, 'notes.txt', 'file-empty', '“notes.txt” is empty (0 bytes).');
  },
};

const longName = `${'residents-meeting-minutes-'.repeat(11)}final.pdf`;

/** Connect takes names of up to 256 characters; the message shortens the name, the row shows it whole. */
export const NameTooLong: Story = {
  name: 'Name too long',
  render: scenario(dropping(pdf(longName))),
  play: async ({ canvasElement, args }) => {
    await expectRefused(
      canvasElement,
      args,
      longName,
      'name-too-long',
      /^The name “residents-meeting-minutes-[a-z-]*…[a-z-]*\.pdf” is too long: 295 characters, and the limit is 256\. Rename the file and try again\.$/,
    );
  },
};

/**
 * A right-to-left override makes "invoice‮fdp.exe" read as "invoiceexe.pdf": refused, and shown with the
 * override replaced (�), so what people read is what the file is called.
 */
export const NameInvalid: Story = {
  name: 'Name with a hidden character',
  render: scenario(dropping(windowsExecutable('invoice\u202Efdp.exe'))),
  play: async ({ canvasElement, args }) => {
    await expectRefused(
      canvasElement,
      args,
      'invoice\uFFFDfdp.exe',
      'name-invalid',
      'The name “invoice\uFFFDfdp.exe” contains characters that cannot be sent (control characters, / or \\). Rename the file and try again.',
    );
    await expect(canvasElement.textContent).not.toContain('\u202E');
  },
};

/** A file whose name is empty. */
export const NameMissing: Story = {
  name: 'No name',
  render: scenario(dropping(pdf(''))),
  play: async ({ canvasElement, args }) => {
    await scenarioReady(canvasElement);
    const canvas = within(canvasElement);
    await expect(canvas.getAllByRole('listitem')).toHaveLength(1);
    await expect(canvas.getByText('Not added')).toBeVisible();
    await expect(canvas.getByText('A file without a name cannot be sent.')).toBeVisible();
    await expect(args.onError).toHaveBeenCalledWith(
      expect.objectContaining({ code: 'name-empty' }),
      expect.any(File),
      expect.anything(),
    );
  },
};

const oneAtATime: ScenarioScript = async ({ drop, settle }) => {
  drop(pdf('floor-plan.pdf'), pdf('site-survey.pdf'), pdf('lease.pdf'));
  await settle();
};

/** With `multiple={false}`: the first file is taken, and the others are said to be left out, under the zone. */
async function expectLeftOut(canvasElement: HTMLElement, args: UploaderArgs): Promise<HTMLElement> {
  await scenarioReady(canvasElement);
  const notice = within(canvasElement).getByText('Only one file can be added at a time: 2 other files were left out.', {
    selector: '.cau-notice',
  });
  await expect(notice).toBeVisible();
  await expect(within(row(canvasElement, 'floor-plan.pdf')).getByText('Uploaded')).toBeVisible();
  await expect(canvasElement.querySelectorAll('.cau-item')).toHaveLength(1);
  await expect(args.onError).not.toHaveBeenCalled();
  return notice;
}

export const OnlyOneFile: Story = {
  name: 'Files left out (multiple={false})',
  args: { multiple: false },
  render: scenario(oneAtATime),
  play: async ({ canvasElement, args }) => {
    await expectLeftOut(canvasElement, args);
  },
};

export const OnlyOneFileDark: Story = {
  name: 'Files left out, dark',
  args: { multiple: false, className: 'cau--dark' },
  globals: { backgrounds: { value: 'dark' } },
  render: scenario(oneAtATime),
  play: async ({ canvasElement, args }) => {
    const notice = await expectLeftOut(canvasElement, args);
    // The warning colour of the dark palette, on the dark background (axe checks the contrast after play).
    await expect(getComputedStyle(notice).color).toBe('rgb(210, 153, 34)');
  },
};
