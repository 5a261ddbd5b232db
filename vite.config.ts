import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The chat-widget demo (`npm start` builds it through src/demo/server.ts; `npm run dev` serves it hot). The
// library itself is built by vite.lib.config.ts.
const repo = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  plugins: [react()],
  root: repo('./src/demo'),
  publicDir: repo('./public'),
  build: {
    outDir: repo('./dist-demo'),
    emptyOutDir: true,
    sourcemap: true,
    // Everything from files: no inlined assets (data: URLs) and no inline scripts, for the strict CSP.
    assetsInlineLimit: 0,
  },
});
