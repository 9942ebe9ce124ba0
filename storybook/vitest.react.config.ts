import react from '@vitejs/plugin-react'
import { defineProject } from 'vitest/config'
import { chromium } from './browser'

// Runs every React story's `play` in Chromium.
export default defineProject({
  plugins: [react()],
  test: { name: 'stories-react', include: ['stories/react/*.test.tsx'], browser: chromium },
})
