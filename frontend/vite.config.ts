/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { svelteTesting } from '@testing-library/svelte/vite'
import { paraglideVitePlugin } from '@inlang/paraglide-js'
import type { Plugin } from 'vite'

// dist/ is emptied on every build, but frontend/dist/.gitkeep must survive: the Go side
// embeds frontend/dist and a fresh checkout (before any frontend build) must still compile.
function keepGitkeep(): Plugin {
  return {
    name: 'switchboard:keep-gitkeep',
    apply: 'build',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '.gitkeep', source: '' })
    },
  }
}

// The same bundle is served by the Wails asset server (desktop window) and by the
// Go HTTP server at `/` (headless mode), so asset URLs are relative and everything
// (fonts, icons) is bundled: the dashboard must work fully offline.
export default defineConfig({
  base: './',
  plugins: [
    // messages/<locale>.json → src/lib/paraglide (message functions), rebuilt when they change
    paraglideVitePlugin({ project: './project.inlang', outdir: './src/lib/paraglide' }),
    svelte(),
    svelteTesting(),
    keepGitkeep(),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 4096,
    target: 'es2022',
  },
  server: {
    // `npm run dev` against a running headless Switchboard: proxy the API to it.
    proxy: {
      '/api': { target: process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:20128', changeOrigin: false },
      '/login': { target: process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:20128', changeOrigin: false },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
    // jsdom component tests are slow on a loaded 2-core CI machine; the
    // default 5 s made them time out there, not fail.
    testTimeout: 30_000,
  },
})
