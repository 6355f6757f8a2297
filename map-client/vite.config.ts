// Vite configuration: one HTML entry, one lazily imported chunk per role page, and a dev proxy to `siaga`.
import { defineConfig } from 'vitest/config';

const backend = process.env.SIAGA_URL ?? 'http://127.0.0.1:8112';

export default defineConfig({
  build: {
    target: 'es2022',
    // The manifest lets scripts/size_report.mjs sum what each role page downloads.
    manifest: true,
    sourcemap: true,
    // MapLibre alone is about 1 MB minified; it is split into its own chunk and only map pages load it.
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // Readable chunk names: `page-dispatcher-<hash>.js`, `maplibre-<hash>.js`.
        chunkFileNames: (chunk) => {
          const m = chunk.facadeModuleId?.match(/pages\/(\w+)\/page\.ts$/);
          return m ? `assets/page-${m[1]}-[hash].js` : 'assets/[name]-[hash].js';
        },
        manualChunks: (id) => (id.includes('/node_modules/maplibre-gl/') ? 'maplibre' : undefined),
      },
    },
  },
  server: {
    proxy: {
      '/api/v1/ws': { target: backend.replace(/^http/, 'ws'), ws: true },
      '/api': { target: backend },
    },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
