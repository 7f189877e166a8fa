/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Served by the gateway under /console/ (gateway/src/gateway/console.py): hashed assets in
// dist/assets, cached for a year; the index is never cached.
export default defineConfig({
  base: "/console/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // the chart library goes with the dashboard, loaded when a dashboard opens
    chunkSizeWarningLimit: 600,
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev` against a gateway on :8000 (./dev up)
    proxy: { "/graphql": { target: "http://127.0.0.1:8000", ws: true }, "/api": "http://127.0.0.1:8000" },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
