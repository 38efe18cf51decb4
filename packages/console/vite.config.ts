/**
 * Vite builds the console into dist/ with relative asset URLs (`base: "./"`): the edge serves it
 * below any DATAHUB_CONSOLE_PATH by rewriting the page's `<base href>`. JSX is compiled by
 * Vite's own transformer for Preact, so no Babel plugin is needed. `npm run dev` serves it at
 * /console/ and forwards the API calls to an edge on 127.0.0.1:8080.
 */
import { defineConfig } from "vite";

export default defineConfig(({ command }) => ({
  base: command === "build" ? "./" : "/console/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // Nothing inlined as data: URIs, and no module-preload polyfill: every browser the console
    // supports preloads modules itself, and the CSP allows only files from this origin.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    host: "127.0.0.1",
    proxy: { "/console/api": "http://127.0.0.1:8080", "/readyz": "http://127.0.0.1:8080" },
  },
}));
