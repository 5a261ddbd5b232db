/**
 * The bundle figure: the library built from the current sources (vite.lib.config.ts, into a temp dir so dist/ is
 * left alone), measured by size-limit with the checks of .size-limit.json, both min+gzip (the budget) and
 * min+brotli (size-limit's default); plus which source modules the minified bundle is made of (esbuild metafile,
 * the bundler size-limit itself uses).
 */
import { execFile } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { build as esbuild } from 'esbuild';
import { build, loadConfigFromFile, type PluginOption } from 'vite';

interface SizeLimitCheck {
  name: string;
  path: string | string[];
  /** One import for the path, or one per path. */
  import?: string | Record<string, string>;
  ignore?: string[];
  limit?: string;
}

interface SizeLimitResult {
  name: string;
  passed: boolean;
  size: number;
  sizeLimit?: number;
}

export interface BundleCheck {
  name: string;
  gzipBytes: number;
  brotliBytes: number;
  limitBytes?: number;
}

export interface ModuleShare {
  module: string;
  /** Bytes this module contributes to the minified (not compressed) bundle. */
  minifiedBytes: number;
}

export interface BundleFigures {
  checks: BundleCheck[];
  /** Of the first check (the library's JS); modules sorted by size. */
  modules: ModuleShare[];
  minifiedBytes: number;
}

const exec = promisify(execFile);

async function buildLibrary(repo: string, outDir: string): Promise<void> {
  const loaded = await loadConfigFromFile({ command: 'build', mode: 'production' }, join(repo, 'vite.lib.config.ts'), repo, 'silent');
  if (!loaded) throw new Error('vite.lib.config.ts could not be loaded');
  const { config } = loaded;
  // That plugin writes into dist/ (stylesheet, declarations); the size needs neither.
  const plugins = (config.plugins ?? []).filter((plugin: PluginOption) => !(plugin && typeof plugin === 'object' && 'name' in plugin && plugin.name === 'package-files'));
  await build({ ...config, configFile: false, root: repo, logLevel: 'warn', plugins, build: { ...config.build, outDir, emptyOutDir: true } });
  // What the package-files plugin ships as dist/styles.css.
  await copyFile(join(repo, 'src/react/styles.css'), join(outDir, 'styles.css'));
  // Bundlers read `sideEffects` from the nearest package.json: without the package's, a check that imports only the
  // core would keep the React chunk's imports.
  const { sideEffects } = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { sideEffects: unknown };
  await writeFile(join(outDir, 'package.json'), JSON.stringify({ type: 'module', sideEffects }));
}

async function runSizeLimit(repo: string, checks: readonly SizeLimitCheck[], compression: 'gzip' | 'brotli', configPath: string): Promise<SizeLimitResult[]> {
  await writeFile(configPath, JSON.stringify(checks.map((check) => ({ ...check, gzip: compression === 'gzip', brotli: compression === 'brotli' }))));
  // size-limit exits 1 when a check is over its limit; the JSON is printed either way.
  const { stdout } = await exec(process.execPath, [join(repo, 'node_modules/size-limit/bin.js'), '--json', '--config', configPath], { cwd: repo }).catch(
    (error: unknown) => {
      if (error && typeof error === 'object' && 'stdout' in error && typeof error.stdout === 'string' && error.stdout.trim().startsWith('[')) {
        return { stdout: error.stdout };
      }
      throw error;
    },
  );
  return JSON.parse(stdout) as SizeLimitResult[];
}

/** The names a check imports from its JavaScript entry ('*' when it names none). */
function jsImport(check: SizeLimitCheck): string {
  if (typeof check.import === 'string') return check.import;
  return Object.entries(check.import ?? {}).find(([path]) => path.endsWith('.js'))?.[1] ?? '*';
}

async function composition(repo: string, check: SizeLimitCheck, file: string): Promise<{ modules: ModuleShare[]; minifiedBytes: number }> {
  const result = await esbuild({
    stdin: { contents: `export ${jsImport(check)} from ${JSON.stringify(file)};`, resolveDir: repo, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    jsx: 'automatic',
    write: false,
    metafile: true,
    external: check.ignore ?? [],
    outfile: 'bundle.js',
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0];
  const modules = Object.entries(output?.inputs ?? {})
    .map(([path, { bytesInOutput }]) => ({ module: relative(repo, join(repo, path)), minifiedBytes: bytesInOutput }))
    .filter((share) => share.minifiedBytes > 0)
    .sort((a, b) => b.minifiedBytes - a.minifiedBytes);
  return { modules, minifiedBytes: output?.bytes ?? 0 };
}

export async function measureBundle(repo: string, workDir: string): Promise<BundleFigures> {
  const outDir = join(workDir, 'lib');
  await buildLibrary(repo, outDir);
  const configured = JSON.parse(await readFile(join(repo, '.size-limit.json'), 'utf8')) as SizeLimitCheck[];
  // The checks name dist/ files; ours are in outDir (import keys are paths too).
  const built = (path: string) => join(outDir, relative('dist', path));
  const checks = configured.map(({ path, import: imports, ...check }) => ({
    ...check,
    path: Array.isArray(path) ? path.map(built) : built(path),
    ...(imports !== undefined && {
      import: typeof imports === 'string' ? imports : Object.fromEntries(Object.entries(imports).map(([key, names]) => [built(key), names])),
    }),
  }));
  const gzip = await runSizeLimit(repo, checks, 'gzip', join(workDir, 'size-limit.gzip.json'));
  const brotli = await runSizeLimit(repo, checks, 'brotli', join(workDir, 'size-limit.brotli.json'));
  const first = checks[0];
  if (!first) throw new Error('.size-limit.json has no checks');
  // The sources, not the built file, so the shares name the modules.
  const { modules, minifiedBytes } = await composition(repo, first, join(repo, 'src/index.ts'));
  return {
    checks: gzip.map((result, index) => ({
      name: result.name,
      gzipBytes: result.size,
      brotliBytes: brotli[index]?.size ?? Number.NaN,
      ...(result.sizeLimit !== undefined && { limitBytes: result.sizeLimit }),
    })),
    modules,
    minifiedBytes,
  };
}
