import { defineConfig } from 'vitest/config';

// The server serves the build from its classpath folder cloudrun-web/ at "/"; relative asset
// URLs keep the build independent of where it is mounted. `npm run dev` proxies the API to a
// server started with `./cloudrun serve`.
export default defineConfig({
  base: './',
  build: {
    outDir: 'target/dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: true,
  },
  worker: { format: 'es' },
  server: {
    proxy: {
      '/api': 'http://localhost:8080',
      '/ws': { target: 'ws://localhost:8080', ws: true },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
