import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Property tests print their fast-check seed; keep output readable.
    reporters: ['default'],
  },
})
