import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    rolldownOptions: {
      // The shared package is pure (types, schemas, helpers): let unused parts, notably the zod
      // schemas that only checkout needs, drop out of the first page.
      treeshake: {
        moduleSideEffects: (id: string) => !/[\\/](packages[\\/]shared|node_modules[\\/]zod)[\\/]/.test(id),
      },
    },
  },
  server: {
    proxy: { "/api": "http://localhost:8080" },
  },
});
