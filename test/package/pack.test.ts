/**
 * The library as a host gets it: `npm run build`, `npm pack`, then a scratch app outside the repo installs the
 * tarball with npm (peers at this repo's exact versions), type-checks against the shipped declarations under both
 * `bundler` and `node16` resolution, and builds with Vite. Slow (a real `npm install`), so it runs once per suite.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PACKAGE_NAME = 'connect-attachment-uploader';
const SETUP_TIMEOUT_MS = 6 * 60_000;
const STEP_TIMEOUT_MS = 3 * 60_000;

interface RepoManifest {
  devDependencies: Record<string, string>;
}

interface PackResult {
  filename: string;
  files: { path: string }[];
}

/**
 * Children get the environment without Vitest's own variables: with NODE_ENV=test inherited, Vite and the React
 * plugin would build with the development JSX runtime, which is not what a host's build does.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1', CI: 'true' };
  for (const key of Object.keys(env)) {
    if (key === 'NODE_ENV' || key === 'MODE' || key.startsWith('VITEST') || key.startsWith('npm_')) delete env[key];
  }
  return env;
}

/** Runs a command; on failure the error carries its output, so a broken build explains itself. */
function run(command: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile(command, args, { cwd, env: childEnv(), maxBuffer: 64 * 1024 * 1024, timeout: STEP_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) fail(new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`));
      else done(stdout);
    });
  });
}

/** A tool from the scratch app's own node_modules, run with this Node. */
function runBin(app: string, script: string, args: readonly string[]): Promise<string> {
  return run(process.execPath, [join(app, 'node_modules', script), ...args], app);
}

/** Uses every headline export with its real types; the `@ts-expect-error` lines prove the types are strict. */
const CONSUMER_SOURCE = `import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import {
  AttachmentUploader,
  createParticipantClient,
  useAttachmentUploader,
  UploadError,
  type AttachmentClient,
  type UploadErrorCode,
  type UploadedAttachment,
} from 'connect-attachment-uploader';
import 'connect-attachment-uploader/styles.css';

// Fails to compile if the declarations did not resolve and the exports degraded to \`any\`.
type IsAny<T> = 0 extends 1 & T ? true : false;
const resolved: [IsAny<typeof AttachmentUploader>, IsAny<typeof createParticipantClient>, IsAny<UploadError>] = [false, false, false];

const client: AttachmentClient = createParticipantClient({ connectionToken: 'token-from-the-chat', region: 'us-east-1' });

function HeadlessCount({ client }: { client: AttachmentClient }) {
  const { items, getRootProps, getInputProps, getButtonProps } = useAttachmentUploader({ client, maxFileSizeBytes: 1024 });
  return (
    <div {...getRootProps()}>
      <input {...getInputProps()} />
      <button {...getButtonProps()}>{items.length} files</button>
    </div>
  );
}

function App() {
  const [uploaded, setUploaded] = useState<readonly UploadedAttachment[]>([]);
  const [lastError, setLastError] = useState<UploadErrorCode>();
  return (
    <>
      <AttachmentUploader
        client={client}
        accept={['.pdf', 'image/*']}
        className="cau--dark"
        messages={{ chooseFiles: 'Dateien auswählen', errors: { throttled: ({ name }) => name + ': busy' } }}
        onUploaded={(attachment) => setUploaded((list) => [...list, attachment])}
        onError={(error: UploadError) => setLastError(error.code)}
      />
      {/* @ts-expect-error: maxFileSizeBytes is a number of bytes, not a string. */}
      <AttachmentUploader client={client} maxFileSizeBytes="20MB" />
      {/* @ts-expect-error: client is required. */}
      <AttachmentUploader multiple={false} />
      <HeadlessCount client={client} />
      <p>{uploaded.length} uploaded; {lastError ?? 'no error'}; {resolved.length}</p>
    </>
  );
}

const code: UploadErrorCode = new UploadError('throttled', 'busy').code;
// @ts-expect-error: not an UploadErrorCode.
const wrong: UploadErrorCode = 'teapot';
console.info(code, wrong);

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={new QueryClient()}>
        <App />
      </QueryClientProvider>
    </StrictMode>,
  );
}
`;

const COMMON_COMPILER_OPTIONS = {
  target: 'ES2022',
  lib: ['ES2023', 'DOM', 'DOM.Iterable'],
  jsx: 'react-jsx',
  strict: true,
  noEmit: true,
  // Our declarations and everything they pull in are checked too, as a host with skipLibCheck off would see them.
  skipLibCheck: false,
  types: [],
};

const TSCONFIGS: Record<string, object> = {
  'tsconfig.bundler.json': {
    compilerOptions: { ...COMMON_COMPILER_OPTIONS, module: 'ESNext', moduleResolution: 'bundler' },
    include: ['src'],
  },
  'tsconfig.node16.json': {
    compilerOptions: { ...COMMON_COMPILER_OPTIONS, module: 'node16', moduleResolution: 'node16' },
    include: ['src'],
  },
};

// The examples are under test here, not the declarations (the configs above check ours): the AWS SDK's need
// Node's types, which a browser host's config does not load.
const README_TSCONFIG = {
  compilerOptions: { ...COMMON_COMPILER_OPTIONS, module: 'ESNext', moduleResolution: 'bundler', skipLibCheck: true },
  include: ['readme'],
};

const INDEX_HTML = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>consumer</title></head>
  <body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body>
</html>
`;

const VITE_CONFIG = `import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
export default defineConfig({ plugins: [react()], logLevel: 'warn' });
`;

/** A host without React (plain DOM here, Vue or Svelte alike): the framework-free core alone. */
const CORE_ONLY_SOURCE = `import { createParticipantClient, createUploadQueue } from 'connect-attachment-uploader';

const client = createParticipantClient({ connectionToken: 'token-from-the-chat', region: 'us-east-1' });
const queue = createUploadQueue({ client });
queue.subscribe(() => {
  document.title = \`\${queue.getState().items.length} files\`;
});
document.querySelector('input')?.addEventListener('change', ({ target }) => queue.add((target as HTMLInputElement).files ?? []));
`;

/** Builds that host alone: a library build bundles every dependency, so anything that pulls React in shows. */
const CORE_ONLY_VITE_CONFIG = `import { defineConfig } from 'vite';
export default defineConfig({
  logLevel: 'warn',
  build: { outDir: 'dist-core', lib: { entry: 'src/core-only.ts', formats: ['es'], fileName: 'core-only' } },
});
`;

/** What a fragment gets from the examples before it. */
const README_FRAGMENT_PRELUDE = `import { AttachmentUploader } from '${PACKAGE_NAME}';
import { createAttachedFileClient, waitForScan } from '${PACKAGE_NAME}/attached-files';
`;

/**
 * README.md's TypeScript examples that use this package: those that import it, and the fragments that import
 * nothing (they continue an example above, and get its imports). Server code and the emulator's (other imports
 * only) are left out.
 */
function readmeExamples(readme: string): { line: number; source: string }[] {
  const examples: { line: number; source: string }[] = [];
  for (const match of readme.matchAll(/^```tsx?\n([\s\S]*?)^```$/gm)) {
    const source = match[1] ?? '';
    const imported = Array.from(source.matchAll(/^import\s+(?:[^;]*?\s+from\s+)?'([^']+)';$/gm), (found) => found[1] ?? '');
    if (imported.length > 0 && !imported.some((specifier) => specifier.startsWith(PACKAGE_NAME))) continue;
    const line = readme.slice(0, match.index).split('\n').length + 1;
    examples.push({ line, source: imported.length > 0 ? source : README_FRAGMENT_PRELUDE + source });
  }
  return examples;
}

/** What the README's examples take from the host's code around them. */
const README_GLOBALS = `import type { ConnectClientConfig } from '@aws-sdk/client-connect';
import type { AttachmentClient, UploadItem } from '${PACKAGE_NAME}';

declare global {
  const connectionToken: string;
  const client: AttachmentClient;
  const file: File;
  const input: HTMLInputElement;
  function render(items: readonly UploadItem[]): void;
  const temporaryCredentials: ConnectClientConfig['credentials'];
  const caseArn: string;
  const agentArn: string;
  function csrfToken(): string;
  const fileId: string;
  function show(status: string): void;
  const signal: AbortSignal;
  function link(url: string): void;
}
`;

let work: string;
let app: string;
let packed: PackResult;
let repoManifest: RepoManifest;

beforeAll(async () => {
  repoManifest = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as RepoManifest;
  work = await mkdtemp(join(tmpdir(), 'cau-pack-'));
  app = join(work, 'consumer');

  await run('npm', ['run', 'build'], REPO);
  const packOutput = await run('npm', ['pack', '--json', '--pack-destination', work], REPO);
  const results = JSON.parse(packOutput) as PackResult[];
  expect(results).toHaveLength(1);
  packed = results[0] as PackResult;

  const version = (name: string): string => {
    const exact = repoManifest.devDependencies[name];
    if (!exact) throw new Error(`${name} is not a devDependency of this repo`);
    return exact;
  };
  // @aws-sdk/client-connect, an optional peer, for the agent-side examples of README.md.
  const peers = ['react', 'react-dom', '@tanstack/react-query', 'axios', '@aws-sdk/client-connect'];
  const tools = ['typescript', 'vite', '@vitejs/plugin-react', '@types/react', '@types/react-dom'];
  const manifest = {
    name: 'cau-consumer',
    private: true,
    type: 'module',
    dependencies: {
      [PACKAGE_NAME]: `file:${join(work, packed.filename)}`,
      ...Object.fromEntries(peers.map((name) => [name, version(name)])),
    },
    devDependencies: Object.fromEntries(tools.map((name) => [name, version(name)])),
  };
  await mkdir(join(app, 'src'), { recursive: true });
  await writeFile(join(app, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(join(app, 'index.html'), INDEX_HTML);
  await writeFile(join(app, 'vite.config.js'), VITE_CONFIG);
  await writeFile(join(app, 'src', 'main.tsx'), CONSUMER_SOURCE);
  await writeFile(join(app, 'vite.core.config.js'), CORE_ONLY_VITE_CONFIG);
  await writeFile(join(app, 'src', 'core-only.ts'), CORE_ONLY_SOURCE);
  for (const [file, config] of Object.entries(TSCONFIGS)) {
    await writeFile(join(app, file), `${JSON.stringify(config, null, 2)}\n`);
  }
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], app);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the npm tarball', () => {
  it('holds the built library, its types, the stylesheet and the README, and nothing else', () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/styles.css', 'dist/types/index.d.ts']));
    const shipped = /^(package\.json|README\.md|LICENSE|dist\/(index|cli|attached-files|core|react)\.js|dist\/styles\.css|dist\/types\/.+\.d\.ts)$/;
    for (const path of paths) {
      expect(path, 'an unexpected file').toMatch(shipped);
      expect(path, 'no tests').not.toMatch(/\.(test|spec|stories)\.[cm]?[jt]sx?$|(^|\/)(test|e2e|fixtures)\//);
      expect(path, 'no emulator, demo or dependencies').not.toMatch(/(^|\/)(emulator|demo|node_modules|src)\//);
      expect(path, 'no packed archives').not.toMatch(/\.tgz$/);
    }
  });

  it('ships no source maps: they would point at src/, which is not in the package', async () => {
    expect(packed.files.filter((file) => file.path.endsWith('.map'))).toEqual([]);
    const installed = join(app, 'node_modules', PACKAGE_NAME, 'dist');
    for (const { path } of packed.files.filter((file) => file.path.endsWith('.js'))) {
      expect(await readFile(join(installed, '..', path), 'utf8'), path).not.toContain('sourceMappingURL');
    }
    expect(await readFile(join(installed, 'types', 'index.d.ts'), 'utf8')).not.toContain('sourceMappingURL');
  });

  it('is a production build: no development JSX runtime, peers left as imports', async () => {
    const dist = join(app, 'node_modules', PACKAGE_NAME, 'dist');
    // The main entry and the chunks it imports (the core, and the React layer apart from it).
    const bundle = (await Promise.all(['index.js', 'core.js', 'react.js'].map((name) => readFile(join(dist, name), 'utf8')))).join('\n');
    expect(bundle).not.toMatch(/jsx-dev-runtime|jsxDEV/);
    expect(bundle).toMatch(/from\s*["']react\/jsx-runtime["']/);
    expect(bundle).toMatch(/from\s*["']axios["']/);
    expect(bundle).toMatch(/from\s*["']@tanstack\/react-query["']/);
    // The peers' code itself is not bundled (React's and axios' own identifying strings).
    expect(bundle).not.toContain('__CLIENT_INTERNALS_DO_NOT_USE_OR_WARN_USERS_THEY_CANNOT_UPGRADE');
    expect(bundle).not.toContain('AxiosHeaders.prototype');
  });
});

describe('a host app that installed the tarball', () => {
  it('loads in Node with exactly the runtime exports of src/index.ts', async () => {
    const script = `const m = await import('${PACKAGE_NAME}');
const error = new m.UploadError('throttled', 'busy', { retryAfterSeconds: 2 });
console.log(JSON.stringify({
  keys: Object.keys(m).sort(),
  isUploadError: m.isUploadError(error),
  code: error.code,
  css: import.meta.resolve('${PACKAGE_NAME}/styles.css'),
}));`;
    const output = JSON.parse(await run(process.execPath, ['--input-type=module', '-e', script], app)) as {
      keys: string[];
      isUploadError: boolean;
      code: string;
      css: string;
    };
    const source = (await import('../../src/index')) as Record<string, unknown>;
    expect(output.keys).toEqual(Object.keys(source).sort());
    expect(output.keys).toEqual(
      expect.arrayContaining(['AttachmentUploader', 'createParticipantClient', 'useAttachmentUploader', 'UploadError']),
    );
    expect(output.isUploadError).toBe(true);
    expect(output.code).toBe('throttled');
    expect(await readFile(fileURLToPath(output.css), 'utf8')).toContain('.cau-zone');
  }, STEP_TIMEOUT_MS);

  it.each(Object.keys(TSCONFIGS))('type-checks with %s (strict, library checks on)', async (config) => {
    await runBin(app, 'typescript/bin/tsc', ['-p', config]);
  }, STEP_TIMEOUT_MS);

  it("compiles README.md's TypeScript examples against the shipped types", async () => {
    const examples = readmeExamples(await readFile(join(REPO, 'README.md'), 'utf8'));
    // The quick start, the headless hook, i18n, the core, the agent-side client and the scan wait, at least.
    for (const call of ['<AttachmentUploader', 'useAttachmentUploader(', 'messages={{', 'createUploadQueue(', 'createAttachedFileClient(', 'waitForScan(']) {
      expect(examples.some(({ source }) => source.includes(call)), call).toBe(true);
    }
    const folder = join(app, 'readme');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'globals.d.ts'), README_GLOBALS);
    for (const { line, source } of examples) {
      // Named by the README line the example starts on, which tsc's errors then point to.
      await writeFile(join(folder, `readme-line-${line}.tsx`), source);
    }
    await writeFile(join(app, 'tsconfig.readme.json'), `${JSON.stringify(README_TSCONFIG, null, 2)}\n`);
    await runBin(app, 'typescript/bin/tsc', ['-p', 'tsconfig.readme.json']);
  }, STEP_TIMEOUT_MS);

  it('proves the type check can fail: an unchecked wrong prop is reported', async () => {
    const broken = CONSUMER_SOURCE.replace('// @ts-expect-error: not an UploadErrorCode.\n', '');
    await writeFile(join(app, 'src', 'broken.tsx'), broken);
    try {
      await expect(runBin(app, 'typescript/bin/tsc', ['-p', 'tsconfig.bundler.json'])).rejects.toThrow(/TS2322.*"teapot"/s);
    } finally {
      await rm(join(app, 'src', 'broken.tsx'));
    }
  }, STEP_TIMEOUT_MS);

  it('installs the connect-attachment command, which runs with the installed peers', async () => {
    const help = await run(join(app, 'node_modules', '.bin', 'connect-attachment'), ['--help'], app);
    expect(help).toContain('connect-attachment upload FILE...');
  });

  it('builds with Vite: the uploader and its stylesheet are in the output', async () => {
    await runBin(app, 'vite/bin/vite.js', ['build']);
    const assets = join(app, 'dist', 'assets');
    const files = await readdir(assets);
    const read = async (extension: string): Promise<string> => {
      const names = files.filter((name) => name.endsWith(extension));
      expect(names.length, `${extension} assets`).toBeGreaterThan(0);
      return (await Promise.all(names.map((name) => readFile(join(assets, name), 'utf8')))).join('\n');
    };
    const js = await read('.js');
    const css = await read('.css');
    // The component (its markup classes and default messages) and the participant client (its wire protocol).
    expect(js).toContain('cau-zone');
    expect(js).toContain('Dateien auswählen');
    expect(js).toContain('Drop or paste files here.');
    expect(js).toContain('/participant/start-attachment-upload');
    expect(js).toContain('X-Amz-Bearer');
    expect(js).not.toMatch(/jsxDEV/);
    // Nothing of the emulator reaches a host's bundle.
    expect(js).not.toContain('CONNECT_EMULATOR_DEV');
    expect(css).toContain('.cau-zone');
    expect(css).toContain('--cau-accent');
    expect(css).toMatch(/prefers-color-scheme:\s*dark/);
  }, STEP_TIMEOUT_MS);

  it('builds a host that uses only the framework-free core without React, the component or the messages', async () => {
    await runBin(app, 'vite/bin/vite.js', ['build', '-c', 'vite.core.config.js']);
    const outDir = join(app, 'dist-core');
    const names = (await readdir(outDir)).filter((name) => /\.m?js$/.test(name));
    expect(names).toHaveLength(1);
    const js = await readFile(join(outDir, names[0] as string), 'utf8');
    // The queue and the participant client are there, axios bundled with them.
    expect(js).toContain('/participant/start-attachment-upload');
    expect(js).toContain('maxConcurrentUploads');
    expect(js).toContain('AxiosHeaders');
    // Nothing of the React layer, and not React itself (its element symbol and its internals' name).
    expect(js).not.toContain('cau-zone');
    expect(js).not.toContain('Drop or paste files here.');
    expect(js).not.toContain('useSyncExternalStore');
    expect(js).not.toContain('react.transitional.element');
    expect(js).not.toContain('__CLIENT_INTERNALS_DO_NOT_USE_OR_WARN_USERS_THEY_CANNOT_UPGRADE');
  }, STEP_TIMEOUT_MS);
});
