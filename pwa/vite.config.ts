import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

// The app is served by the Litestar server at /; `npm run dev` proxies the API to it.
export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir: "dist", target: "es2022", chunkSizeWarningLimit: 1100 },
  server: { proxy: { "/api": "http://127.0.0.1:8000", "/tiles": "http://127.0.0.1:8000" } },
  plugins: [
    VitePWA({
      strategies: "injectManifest",
      srcDir: "src",
      filename: "sw.ts",
      registerType: "prompt",
      injectRegister: false,
      manifest: {
        id: "/",
        name: "防災 Bosai",
        short_name: "防災",
        description: "避難所・ハザードマップ・安否確認 — shelters, hazard maps and safety status, also offline.",
        lang: "ja",
        dir: "ltr",
        start_url: "/",
        scope: "/",
        display: "standalone",
        orientation: "any",
        background_color: "#ffffff",
        theme_color: "#b3261e",
        icons: [
          { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
          { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
          { src: "/icons/maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
        ],
        // Chromium's manifest localisation.
        translations: { en: { name: "Bosai disaster prevention", short_name: "Bosai" } },
      } as Record<string, unknown>,
      injectManifest: {
        globPatterns: ["**/*.{js,css,html,svg,png,webmanifest}"],
        // The QR reader (zxing-wasm) is for staff devices only: cached when a staff screen loads it.
        globIgnores: ["**/*.pmtiles", "**/ponyfill-*.js", "**/*.wasm"],
        maximumFileSizeToCacheInBytes: 3 * 1024 * 1024,
        rollupFormat: "es",
      },
    }),
  ],
});
