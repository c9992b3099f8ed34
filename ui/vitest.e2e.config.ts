// End-to-end tests: the real app (debug build) under Xvfb, driven over
// WebDriver through tauri-driver. Run by scripts/test-desktop.sh.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "node",
    include: ["e2e/**/*.e2e.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: "forks",
  },
});
