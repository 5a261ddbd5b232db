#!/usr/bin/env node
/** `connect-attachment`: see `connect-attachment --help` and src/cli/README.md. */
import { run } from './run';

const controller = new AbortController();
// The first Ctrl-C cancels the uploads and reports what was done; with the listener gone, a second one kills.
process.once('SIGINT', () => controller.abort());

run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal }).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    // Not an UploadError (those are reported per file): a bug. Only its name, as it could hold request details.
    process.stderr.write(`connect-attachment: unexpected ${error instanceof Error ? error.name : typeof error}\n`);
    process.exitCode = 1;
  },
);
