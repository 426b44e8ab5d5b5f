import { defineConfig } from 'vitest/config';

// The server serves the build from its classpath folder cloudrun-web/ at "/"; relative asset
// URLs keep the build independent of where it is mounted. `npm run dev` proxies the API to a
// server started with `./cloudrun serve`.
const server = process.env.CLOUDRUN_SERVER ?? 'http://localhost:8080';

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
      '/api': server,
      '/ws': { target: server.replace(/^http/, 'ws'), ws: true },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
