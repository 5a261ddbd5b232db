import { defineConfig } from 'vite';

// The `connect-attachment` command: one ESM file for Node 20, built after the library into the same dist/.
export default defineConfig({
  publicDir: false,
  build: {
    ssr: 'src/cli/main.ts',
    outDir: 'dist',
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    rollupOptions: {
      external: [/^axios($|\/)/, /^node:/],
      output: { entryFileNames: 'cli.js', format: 'es' },
    },
  },
});
