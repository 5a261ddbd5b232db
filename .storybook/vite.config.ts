import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The Vite config of `storybook dev` and `storybook build` (see main.ts); vitest's "storybook" project adds the
// same plugin in vitest.config.ts.
export default defineConfig({
  plugins: [react()],
});
