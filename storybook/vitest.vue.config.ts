import vue from '@vitejs/plugin-vue'
import { defineProject } from 'vitest/config'
import { chromium } from './browser'

// Runs every Vue story's `play` in Chromium.
export default defineProject({
  plugins: [vue()],
  test: { name: 'stories-vue', include: ['stories/vue/*.test.ts'], browser: chromium },
})
