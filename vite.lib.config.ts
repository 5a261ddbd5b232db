import { copyFileSync } from 'node:fs';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The library build: one ESM entry, peers left to the host, the stylesheet shipped as a plain file
// (`connect-attachment-uploader/styles.css`) so nothing injects <style> at run time (strict CSP).
const peers = [/^react($|\/)/, /^react-dom($|\/)/, /^@tanstack\/react-query($|\/)/, /^axios($|\/)/];

export default defineConfig({
  plugins: [
    react(),
    {
      name: 'copy-stylesheet',
      closeBundle() {
        copyFileSync('src/react/styles.css', 'dist/styles.css');
      },
    },
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    lib: { entry: { index: 'src/index.ts' }, formats: ['es'] },
    rollupOptions: { external: (id) => peers.some((peer) => peer.test(id)) },
  },
});
