// Renderer build: relative asset paths (`base: './'`) so the same dist/renderer works from
// Electron's file/app:// URL and from the loopback web bridge.
// `VFIO_PILOT_API=http://127.0.0.1:PORT npx vite -c renderer/vite.config.ts` proxies /api to a running `vfio-pilot serve`.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const api = process.env.VFIO_PILOT_API;

export default defineConfig({
  root: here,
  base: './',
  plugins: [
    react(),
    {
      // The dev server's hot reload needs an inline script that the app's strict CSP (index.html) forbids;
      // the CSP stays in every build.
      name: 'vfio-pilot-dev-csp',
      apply: 'serve',
      transformIndexHtml: (html) => html.replace(/<meta\s+http-equiv="Content-Security-Policy"[\s\S]*?\/>/, ''),
    },
  ],
  build: {
    outDir: path.join(here, '..', 'dist', 'renderer'),
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: false,
  },
  server: {
    host: '127.0.0.1',
    fs: { allow: [path.join(here, '..')] },
    // The bridge refuses foreign Host/Origin headers (DNS rebinding): present the bridge's own.
    proxy: api ? { '/api': { target: api, changeOrigin: true, headers: { origin: api } } } : undefined,
  },
});
