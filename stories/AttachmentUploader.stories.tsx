import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, userEvent, waitFor, within } from 'storybook/test';
import { waitForScan } from '../src/core/scan';
import { csv, pdf, png, windowsExecutable } from './files';
import { frenchMessages } from './messages-fr';
import { dragFiles, row, scenarioReady } from './queries';
import { scenario, type UploaderArgs } from './scenario';

/**
 * Every state a person can meet, each reached by a scripted run on the in-memory backend (no network) in
 * virtual time, and held there by the backend's faults: `hold` freezes a phase, `fail` ends an attempt. After
 * the script, time runs on in real time, so what a story shows can still be cancelled, retried or added to.
 */
const meta = {
  title: 'AttachmentUploader/States',
  args: { onUploaded: fn(), onError: fn(), onScanned: fn() },
  // Controls for the props a host sets (the backend, clock and randomness belong to each story's scenario).
  argTypes: {
    disabled: { control: 'boolean' },
    multiple: { control: 'boolean' },
    accept: { control: 'object' },
    maxFileSizeBytes: { control: 'number' },
    maxConcurrentUploads: { control: { type: 'number', min: 1 } },
    className: { control: 'text' },
  },
  render: scenario(),
} satisfies Meta<UploaderArgs>;

export default meta;
type Story = StoryObj<typeof meta>;

// Real-time work after a story's script (a retry, a freed slot): a generous bound on a busy machine.
const LIVE = { timeout: 5_000 };

/** Nothing added yet: what may be sent, and the button that opens the file picker. */
export const Empty: Story = {
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const canvas = within(canvasElement);
    await expect(canvas.getByText('Drop or paste files here.')).toBeVisible();
    await expect(canvas.getByRole('button', { name: 'Choose files' })).toBeEnabled();
    await expect(canvas.getByText(/^Accepted: CSV, .*PDF, PNG, .*XLSX, up to 20 MB each\.$/)).toBeVisible();
    await expect(canvas.queryByRole('list')).not.toBeInTheDocument();
  },
};

/** A file picked in the file dialog (the hidden input behind the button) uploads, and the host hears of it. */
export const ChooseFromThePicker: Story = {
  name: 'Choose from the picker',
  play: async ({ canvasElement, args }) => {
    await scenarioReady(canvasElement);
    const input = canvasElement.querySelector<HTMLInputElement>('input[type="file"]');
    if (!input) throw new Error('No file input.');
    await userEvent.upload(input, pdf('tenancy-agreement.pdf', 100_000));
    const item = within(row(canvasElement, 'tenancy-agreement.pdf'));
    await waitFor(() => expect(item.getByText('Uploaded')).toBeVisible(), LIVE);
    await expect(args.onUploaded).toHaveBeenCalledTimes(1);
  },
};

/** Files dragged over the zone: it lights up and says what letting go will do. */
export const DragOver: Story = {
  name: 'Drag over',
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const canvas = within(canvasElement);
    const zone = canvasElement.querySelector('.cau');
    if (!zone) throw new Error('No uploader.');
    dragFiles(zone, 'dragenter', [pdf('lease.pdf')]);
    const over = dragFiles(zone, 'dragover', [pdf('lease.pdf')]);

    await expect(await canvas.findByText('Release to add.')).toBeVisible();
    await expect(canvas.queryByText('Drop or paste files here.')).not.toBeInTheDocument();
    // Accepted as a drop target: the browser will hand the files to the page instead of opening them.
    await expect(over.defaultPrevented).toBe(true);
    const frame = zone.querySelector('.cau-zone');
    if (!frame) throw new Error('No drop zone.');
    await expect(getComputedStyle(frame).borderTopStyle).toBe('solid');
  },
};

/** Disabled (e.g. the chat has ended): the button is off, and dropped files are ignored. */
export const Disabled: Story = {
  args: { disabled: true },
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const canvas = within(canvasElement);
    const zone = canvasElement.querySelector('.cau');
    if (!zone) throw new Error('No uploader.');
    await expect(canvas.getByRole('button', { name: 'Choose files' })).toBeDisabled();

    dragFiles(zone, 'dragenter', [pdf('lease.pdf')]);
    dragFiles(zone, 'dragover', [pdf('lease.pdf')]);
    await expect(canvas.queryByText('Release to add.')).not.toBeInTheDocument();
    await expect(zone).not.toHaveClass('cau--drag-active');
    dragFiles(zone, 'drop', [pdf('lease.pdf')]);
    // A drop that was taken would show its row at once (the first checks are synchronous).
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(canvas.queryByRole('list')).not.toBeInTheDocument();
  },
};

/** Part-way: the bar and the figures, and a Cancel button (held at 42 % by the backend). */
export const Uploading: Story = {
  render: scenario(async ({ backend, drop, settle }) => {
    backend.inject({ kind: 'hold', operation: 'put', afterBytes: 420_000 });
    drop(pdf('quarterly-report.pdf', 1_000_000));
    await settle();
  }),
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const item = within(row(canvasElement, 'quarterly-report.pdf'));
    await expect(item.getByText('Uploading')).toBeVisible();
    const bar = item.getByRole('progressbar', { name: 'Upload progress of quarterly-report.pdf' });
    await expect(bar).toHaveAttribute('value', '42');
    await expect(bar).toHaveAttribute('aria-valuetext', '42 %');
    await expect(item.getByText('42 % · 410.2 KB of 976.6 KB')).toBeVisible();
    await expect(item.getByRole('button', { name: 'Cancel quarterly-report.pdf' })).toBeVisible();
    await expect(item.queryByRole('button', { name: /^(Retry|Remove) / })).not.toBeInTheDocument();
  },
};

/**
 * The connection dropped at 35 %: the cause and a countdown to the next try. Time is frozen here, so the
 * countdown stays at 5 s (this host's retry policy waits up to 10 s before a second try; the default, 1 s).
 */
export const Retrying: Story = {
  args: { retryPolicy: { baseDelayMs: 10_000 } },
  render: scenario(
    async ({ backend, drop, runUntil, count }) => {
      backend.inject({ kind: 'fail', operation: 'put', error: 'network', afterBytes: 350_000 });
      drop(pdf('site-survey.pdf', 1_000_000));
      await runUntil(() => count('retrying') === 1, 'the wait before the second try');
    },
    { afterwards: 'frozen' },
  ),
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const item = within(row(canvasElement, 'site-survey.pdf'));
    await expect(item.getByText('Connection lost — retrying in 5 s')).toBeVisible();
    await expect(item.getByRole('progressbar', { name: 'Upload progress of site-survey.pdf' })).toHaveAttribute(
      'value',
      '35',
    );
    await expect(item.getByRole('button', { name: 'Cancel site-survey.pdf' })).toBeVisible();
    await expect(item.queryByRole('button', { name: /^(Retry|Remove) / })).not.toBeInTheDocument();
  },
};

/**
 * The connection dropped at 60 % and the upload link (valid 45 s here) would expire before another try could
 * end: the uploader asks Connect for a fresh link, and that call is held.
 */
export const RefreshingUrl: Story = {
  name: 'Refreshing URL',
  render: scenario(
    async ({ backend, drop, runUntil, count, settle }) => {
      backend.inject({ kind: 'fail', operation: 'put', error: 'network', afterBytes: 600_000 });
      drop(pdf('contract-scan.pdf', 1_000_000));
      await runUntil(() => count('uploading') === 1, 'the first upload link');
      backend.inject({ kind: 'hold', operation: 'start' });
      await settle();
    },
    { backend: { urlExpirySeconds: 45 } },
  ),
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const item = within(row(canvasElement, 'contract-scan.pdf'));
    await expect(item.getByText('Renewing the upload link')).toBeVisible();
    await expect(item.getByRole('progressbar', { name: 'Upload progress of contract-scan.pdf' })).toHaveAttribute(
      'value',
      '60',
    );
    await expect(item.getByRole('button', { name: 'Cancel contract-scan.pdf' })).toBeVisible();
  },
};

/** Every byte is in S3; CompleteAttachmentUpload (held here) is under way: the file may already be attached. */
export const Completing: Story = {
  render: scenario(async ({ backend, drop, settle }) => {
    backend.inject({ kind: 'hold', operation: 'complete' });
    drop(pdf('board-minutes.pdf', 500_000));
    await settle();
  }),
  play: async ({ canvasElement, args }) => {
    await scenarioReady(canvasElement);
    const item = within(row(canvasElement, 'board-minutes.pdf'));
    await expect(item.getByText('Finishing')).toBeVisible();
    await expect(item.getByRole('progressbar')).toHaveAttribute('value', '100');
    await expect(item.getByText('100 % · 488.3 KB of 488.3 KB')).toBeVisible();
    // Too late to cancel (it could be untrue), but the row can be removed.
    await expect(item.queryByRole('button', { name: 'Cancel board-minutes.pdf' })).not.toBeInTheDocument();
    await expect(item.getByRole('button', { name: 'Remove board-minutes.pdf' })).toBeVisible();
    await expect(args.onUploaded).not.toHaveBeenCalled();
  },
};

/** Uploaded: a full bar, a thumbnail for images, and Remove. */
export const Done: Story = {
  render: scenario(async ({ drop, settle }) => {
    drop(png('meter-photo.png'), pdf('inspection-report.pdf', 300_000));
    await settle();
  }),
  play: async ({ canvasElement, args }) => {
    await scenarioReady(canvasElement);
    const canvas = within(canvasElement);
    for (const name of ['meter-photo.png', 'inspection-report.pdf']) {
      const item = within(row(canvasElement, name));
      await expect(item.getByText('Uploaded')).toBeVisible();
      await expect(item.getByRole('progressbar')).toHaveAttribute('value', '100');
      await expect(item.queryByRole('button', { name: `Cancel ${name}` })).not.toBeInTheDocument();
    }
    await expect(args.onUploaded).toHaveBeenCalledTimes(2);
    const thumbnail = row(canvasElement, 'meter-photo.png').querySelector('img');
    await waitFor(() => expect(thumbnail?.naturalWidth).toBe(32));

    await userEvent.click(canvas.getByRole('button', { name: 'Remove meter-photo.png' }));
    // The queue tells the UI at most once per 250 ms: the row goes on its next notification.
    await waitFor(() => expect(canvas.queryByText('meter-photo.png')).not.toBeInTheDocument(), LIVE);
    await expect(canvas.getAllByRole('listitem')).toHaveLength(1);
  },
};

/** The file is attached (Complete succeeded) and Connect's malware scan is under way (`awaitScan`). */
export const Scanning: Story = {
  args: { awaitScan: waitForScan },
  render: scenario(
    async ({ drop, runUntil, count }) => {
      drop(pdf('water-damage-claim.pdf', 300_000));
      await runUntil(() => count('scanning') === 1, 'a file being scanned');
    },
    { backend: { scanMs: 30 * 60_000 } },
  ),
  play: async ({ canvasElement, args }) => {
    await scenarioReady(canvasElement);
    const item = within(row(canvasElement, 'water-damage-claim.pdf'));
    await expect(item.getByText('Scanning for malware')).toBeVisible();
    await expect(item.getByRole('progressbar')).toHaveAttribute('value', '100');
    // Already attached: no Cancel, but the row can be removed.
    await expect(item.queryByRole('button', { name: 'Cancel water-damage-claim.pdf' })).not.toBeInTheDocument();
    await expect(item.getByRole('button', { name: 'Remove water-damage-claim.pdf' })).toBeVisible();
    await expect(args.onUploaded).toHaveBeenCalledTimes(1);
    await expect(args.onScanned).not.toHaveBeenCalled();
  },
};

/** The scan approved the file: uploaded and scanned, a full bar. */
export const ScanApproved: Story = {
  name: 'Scan approved',
  args: { awaitScan: waitForScan },
  render: scenario(
    async ({ drop, settle }) => {
      drop(pdf('water-damage-claim.pdf', 300_000));
      await settle();
    },
    { backend: { scanMs: 4_000 } },
  ),
  play: async ({ canvasElement, args }) => {
    await scenarioReady(canvasElement);
    const item = within(row(canvasElement, 'water-damage-claim.pdf'));
    await expect(item.getByText('Uploaded and scanned')).toBeVisible();
    await expect(item.getByRole('progressbar')).toHaveAttribute('value', '100');
    await expect(args.onScanned).toHaveBeenCalledWith(expect.objectContaining({ status: 'done', scanStatus: 'APPROVED' }));
    await expect(within(canvasElement).getByText('water-damage-claim.pdf: Uploaded and scanned.')).toBeInTheDocument();
  },
};

/** The scan refused the file (here: any file named eicar…): shown as refused, in the danger colour, never as a success. */
export const ScanRejected: Story = {
  name: 'Scan rejected',
  args: { awaitScan: waitForScan },
  render: scenario(
    async ({ drop, settle }) => {
      drop(pdf('eicar-invoice.pdf', 100_000), pdf('receipt.pdf', 100_000));
      await settle();
    },
    { backend: { scanMs: 4_000, scanOutcome: ({ name }) => (name.startsWith('eicar') ? 'REJECTED' : 'APPROVED') } },
  ),
  play: async ({ canvasElement, args }) => {
    await scenarioReady(canvasElement);
    const refused = row(canvasElement, 'eicar-invoice.pdf');
    const item = within(refused);
    const words = item.getByText('Refused by the malware scan');
    await expect(words).toBeVisible();
    await expect(refused).toHaveClass('cau-item--scan-refused');
    await expect(getComputedStyle(words).color).not.toBe(getComputedStyle(within(row(canvasElement, 'receipt.pdf')).getByText('Uploaded and scanned')).color);
    await expect(item.queryByRole('progressbar')).not.toBeInTheDocument();
    await expect(item.getByRole('button', { name: 'Remove eicar-invoice.pdf' })).toBeVisible();
    await expect(args.onScanned).toHaveBeenCalledWith(expect.objectContaining({ name: 'eicar-invoice.pdf', scanStatus: 'REJECTED' }));
  },
};

/** Every try the retry policy allows (6) lost the connection: the reason, and Retry — which then works. */
export const FailedWithRetry: Story = {
  name: 'Failed, with retry',
  render: scenario(async ({ backend, drop, settle }) => {
    backend.inject({ kind: 'fail', operation: 'put', error: 'network', afterBytes: 200_000, count: 6 });
    drop(pdf('claim-form.pdf', 500_000));
    await settle();
  }),
  play: async ({ canvasElement, args }) => {
    await scenarioReady(canvasElement);
    const item = within(row(canvasElement, 'claim-form.pdf'));
    await expect(item.getByText('Failed')).toBeVisible();
    await expect(
      item.getByText('“claim-form.pdf” could not be sent: the connection was lost. Check your connection and try again.'),
    ).toBeVisible();
    await expect(item.queryByRole('progressbar')).not.toBeInTheDocument();
    await expect(item.queryByRole('button', { name: 'Cancel claim-form.pdf' })).not.toBeInTheDocument();
    await expect(item.getByRole('button', { name: 'Remove claim-form.pdf' })).toBeVisible();
    await expect(args.onError).toHaveBeenCalledTimes(1);
    await expect(args.onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'network' }), expect.any(File), expect.anything());

    await userEvent.click(item.getByRole('button', { name: 'Retry claim-form.pdf' }));
    await waitFor(() => expect(item.getByText('Uploaded')).toBeVisible(), LIVE);
    await expect(item.queryByText(/could not be sent/)).not.toBeInTheDocument();
    await expect(args.onUploaded).toHaveBeenCalledTimes(1);
  },
};

/** Cancelled part-way: no bar, Retry and Remove; a cancellation is not reported as an error. */
export const Cancelled: Story = {
  render: scenario(async ({ backend, drop, settle, click }) => {
    backend.inject({ kind: 'hold', operation: 'put', afterBytes: 150_000 });
    drop(pdf('floor-plan.pdf', 500_000));
    await settle();
    click('Cancel floor-plan.pdf');
    await settle();
  }),
  play: async ({ canvasElement, args }) => {
    await scenarioReady(canvasElement);
    const item = within(row(canvasElement, 'floor-plan.pdf'));
    await expect(item.getByText('Cancelled')).toBeVisible();
    await expect(item.queryByRole('progressbar')).not.toBeInTheDocument();
    await expect(item.queryByRole('button', { name: 'Cancel floor-plan.pdf' })).not.toBeInTheDocument();
    await expect(item.getByRole('button', { name: 'Remove floor-plan.pdf' })).toBeVisible();
    await expect(args.onError).not.toHaveBeenCalled();

    await userEvent.click(item.getByRole('button', { name: 'Retry floor-plan.pdf' }));
    await waitFor(() => expect(item.getByText('Uploaded')).toBeVisible(), LIVE);
  },
};

/**
 * Nine files at once: three uploaded, two uploading and one finishing (three at a time, the default), two
 * waiting for a slot, one refused.
 */
export const ManyFiles: Story = {
  render: scenario(async ({ backend, drop, settle }) => {
    drop(png('site-photo.png'), pdf('floor-plan.pdf', 150_000), csv('meter-readings.csv'));
    await settle();
    backend.inject({ kind: 'hold', operation: 'put', afterBytes: 300_000, count: 2 });
    drop(pdf('inspection-report.pdf', 1_200_000), pdf('meter-report.pdf', 400_000));
    await settle();
    backend.inject({ kind: 'hold', operation: 'complete' });
    drop(pdf('warranty.pdf', 200_000));
    await settle();
    drop(pdf('invoice-march.pdf', 100_000), pdf('invoice-april.pdf', 100_000), windowsExecutable('setup.exe'));
    await settle();
    // The next file to get a slot stops at Finishing, so the play can see who holds the slots without a race.
    backend.inject({ kind: 'hold', operation: 'complete' });
  }),
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const canvas = within(canvasElement);
    await expect(canvas.getAllByRole('listitem')).toHaveLength(9);
    const statuses = canvas.getAllByRole('listitem').map((item) => item.querySelector('.cau-status')?.textContent);
    await expect(statuses).toEqual([
      'Uploaded',
      'Uploaded',
      'Uploaded',
      'Uploading',
      'Uploading',
      'Finishing',
      'Waiting',
      'Waiting',
      'Not added',
    ]);
    const percent = (name: string) => within(row(canvasElement, name)).getByRole('progressbar').getAttribute('value');
    await expect(percent('inspection-report.pdf')).toBe('25');
    await expect(percent('meter-report.pdf')).toBe('75');

    // A freed slot goes to the oldest waiting file; the next one waits for another slot.
    await userEvent.click(canvas.getByRole('button', { name: 'Cancel inspection-report.pdf' }));
    const march = within(row(canvasElement, 'invoice-march.pdf'));
    const april = within(row(canvasElement, 'invoice-april.pdf'));
    await waitFor(() => expect(march.getByText('Finishing')).toBeVisible(), LIVE);
    await expect(april.getByText('Waiting')).toBeVisible();
    await userEvent.click(canvas.getByRole('button', { name: 'Cancel meter-report.pdf' }));
    await waitFor(() => expect(april.getByText('Uploaded')).toBeVisible(), LIVE);
    await expect(march.getByText('Finishing')).toBeVisible();
  },
};

/** A host's own words through `messages` (here French), with the page's language marked for screen readers. */
export const CustomMessages: Story = {
  args: { messages: frenchMessages },
  decorators: [
    (Story) => (
      <div lang="fr">
        <Story />
      </div>
    ),
  ],
  render: scenario(async ({ backend, drop, settle }) => {
    backend.inject({ kind: 'hold', operation: 'put', afterBytes: 400_000 });
    drop(pdf('devis.pdf', 800_000));
    await settle();
    drop(png('photo-compteur.png'), windowsExecutable('facture.pdf'));
    await settle();
  }),
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const canvas = within(canvasElement);
    await expect(canvas.getByText('Déposez ou collez des fichiers ici.')).toBeVisible();
    await expect(canvas.getByRole('button', { name: 'Choisir des fichiers' })).toBeEnabled();
    await expect(canvas.getByText(/^Acceptés : CSV, .* ou XLSX, jusqu’à 20 Mo chacun\.$/)).toBeVisible();
    await expect(canvas.getByRole('list', { name: 'Fichiers' })).toBeVisible();

    const quote = within(row(canvasElement, 'devis.pdf'));
    await expect(quote.getByText('Envoi en cours')).toBeVisible();
    await expect(quote.getByRole('progressbar', { name: 'Progression de l’envoi de devis.pdf' })).toHaveAttribute(
      'value',
      '50',
    );
    await expect(quote.getByText('50 % · 390,6 Ko sur 781,3 Ko')).toBeVisible();
    await expect(quote.getByRole('button', { name: 'Annuler devis.pdf' })).toBeVisible();
    await expect(within(row(canvasElement, 'photo-compteur.png')).getByText('Envoyé')).toBeVisible();
    const invoice = within(row(canvasElement, 'facture.pdf'));
    await expect(invoice.getByText('Refusé')).toBeVisible();
    await expect(invoice.getByText('« facture.pdf » n’est pas un PDF : son contenu ressemble à un programme Windows.')).toBeVisible();
    await expect(invoice.getByRole('button', { name: 'Retirer facture.pdf' })).toBeVisible();
  },
};

/** The dark theme through its documented hook, the `cau--dark` class (`cau-theme-dark` on an ancestor also works). */
export const DarkTheme: Story = {
  args: { className: 'cau--dark' },
  globals: { backgrounds: { value: 'dark' } },
  render: scenario(async ({ backend, drop, settle }) => {
    backend.inject({ kind: 'hold', operation: 'put', afterBytes: 480_000 });
    drop(pdf('floor-plan.pdf', 800_000));
    await settle();
    drop(png('site-photo.png'), windowsExecutable('invoice.pdf'));
    await settle();
  }),
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const root = canvasElement.querySelector('.cau');
    if (!root) throw new Error('No uploader.');
    await expect(getComputedStyle(root).backgroundColor).toBe('rgb(13, 17, 23)');
    await expect(getComputedStyle(root).color).toBe('rgb(230, 237, 243)');
    await expect(within(row(canvasElement, 'floor-plan.pdf')).getByText('60 % · 468.8 KB of 781.3 KB')).toBeVisible();
    await expect(within(row(canvasElement, 'site-photo.png')).getByText('Uploaded')).toBeVisible();
    const refused = within(row(canvasElement, 'invoice.pdf')).getByText(
      '“invoice.pdf” is not a PDF: its content looks like a Windows program.',
    );
    await expect(getComputedStyle(refused).color).toBe('rgb(248, 81, 73)');
  },
};
