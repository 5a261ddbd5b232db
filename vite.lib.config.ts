import { copyFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import ts from 'typescript';
import { defineConfig, type Plugin } from 'vite';

// The library build: ESM entries (the main one, and `attached-files` for the agent side), peers left to the host,
// the stylesheet shipped as a plain file (`connect-attachment-uploader/styles.css`) so nothing injects <style> at run time (strict CSP).
const peers = [/^react($|\/)/, /^react-dom($|\/)/, /^@tanstack\/react-query($|\/)/, /^axios($|\/)/, /^@aws-sdk\//];

/**
 * A relative specifier as Node's ESM resolution needs it: hosts type-checking with `moduleResolution: node16`
 * cannot follow the extensionless specifiers the sources use (they are written for a bundler).
 */
function withJsExtension(specifier: string, fromFile: string): string {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return specifier;
  const target = resolve(dirname(fromFile), specifier);
  if (['.ts', '.tsx'].some((extension) => existsSync(`${target}${extension}`))) return `${specifier}.js`;
  if (['index.ts', 'index.tsx'].some((index) => existsSync(resolve(target, index)))) return `${specifier}/index.js`;
  throw new Error(`declarations: cannot resolve ${specifier} from ${fromFile}`);
}

const addJsExtensions: ts.TransformerFactory<ts.SourceFile | ts.Bundle> = (context) => {
  const { factory } = context;
  return (root) => {
    if (!ts.isSourceFile(root)) return root;
    const fix = (literal: ts.StringLiteral) => factory.createStringLiteral(withJsExtension(literal.text, root.fileName));
    const visit = (node: ts.Node): ts.Node => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        return factory.updateImportDeclaration(node, node.modifiers, node.importClause, fix(node.moduleSpecifier), node.attributes);
      }
      if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        const { modifiers, isTypeOnly, exportClause, attributes } = node;
        return factory.updateExportDeclaration(node, modifiers, isTypeOnly, exportClause, fix(node.moduleSpecifier), attributes);
      }
      if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        const argument = factory.updateLiteralTypeNode(node.argument, fix(node.argument.literal));
        return factory.updateImportTypeNode(node, argument, node.attributes, node.qualifier, node.typeArguments, node.isTypeOf);
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitNode(root, visit, ts.isSourceFile);
  };
};

/** Writes dist/types from tsconfig.build.json, with the specifiers fixed as above; type errors fail the build. */
function emitDeclarations(): void {
  const host: ts.ParseConfigFileHost = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  };
  const config = ts.getParsedCommandLineOfConfigFile('tsconfig.build.json', {}, host);
  if (!config) throw new Error('declarations: tsconfig.build.json could not be read');
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: false,
    declaration: true,
    emitDeclarationOnly: true,
    // Maps would point at src/, which the package does not ship.
    declarationMap: false,
  };
  const program = ts.createProgram(config.fileNames, options);
  const result = program.emit(undefined, undefined, undefined, true, { afterDeclarations: [addJsExtensions] });
  const diagnostics = [...config.errors, ...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
  if (diagnostics.length > 0) {
    const formatHost: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (fileName) => fileName,
      getCurrentDirectory: ts.sys.getCurrentDirectory,
      getNewLine: () => '\n',
    };
    throw new Error(ts.formatDiagnostics(diagnostics, formatHost));
  }
}

const packageFiles: Plugin = {
  name: 'package-files',
  closeBundle() {
    copyFileSync('src/react/styles.css', 'dist/styles.css');
    emitDeclarations();
  },
};

export default defineConfig({
  plugins: [react(), packageFiles],
  // public/ holds the demo's assets, not the library's.
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No maps: they would point at src/, which is not shipped; unminified output stays readable to debug.
    sourcemap: false,
    minify: false,
    lib: { entry: { index: 'src/index.ts', 'attached-files': 'src/attached-files/index.ts' }, formats: ['es'] },
    rollupOptions: {
      external: (id) => peers.some((peer) => peer.test(id)),
      // The React layer in a chunk of its own, which the core never imports: a host that uses only the
      // framework-free core gets neither the component nor React, whatever its bundler (in one file, the
      // component's top-level calls would keep all of it, and React, in esbuild's and rolldown's output). Not a
      // file per module: that cost the full import 41 B gzip (an import statement per module for each peer).
      output: {
        manualChunks: (id) => (/\/src\/react\//.test(id) ? 'react' : /\/src\/core\//.test(id) ? 'core' : undefined),
        chunkFileNames: '[name].js',
      },
    },
  },
});
