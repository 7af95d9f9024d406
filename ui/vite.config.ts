import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Built with relative URLs: the hub serves the app under its own base_url, unknown at build time.
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/ui',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: !!process.env.UI_SOURCEMAP,
    // One bundle on purpose (see App.tsx): warn only past what the admin page may weigh.
    chunkSizeWarningLimit: 800,
  },
});
