// Bundles the workspace: ui/main.tsx -> app.js, ui/style.css -> app.css,
// ui/index.html and ui/favicon.svg copied. `node build.mjs --outdir DIR [--watch]`.
import { build, context } from "esbuild";
import { copyFileSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";

const args = process.argv.slice(2);
const outdir = args.includes("--outdir") ? args[args.indexOf("--outdir") + 1] : "dist";
const watch = args.includes("--watch");
mkdirSync(outdir, { recursive: true });
for (const f of ["index.html", "favicon.svg"]) copyFileSync(join("ui", f), join(outdir, f));

const options = {
  entryPoints: { app: "ui/main.tsx" },
  bundle: true,
  minify: !watch,
  sourcemap: false,
  format: "esm",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  jsx: "automatic",
  jsxImportSource: "preact",
  outdir,
  legalComments: "none",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
};
const css = { entryPoints: { app: "ui/style.css" }, bundle: true, minify: !watch, outdir, logLevel: "warning" };

if (watch) {
  await (await context(options)).watch();
  await (await context(css)).watch();
  console.log(`watching ui/ -> ${outdir}`);
} else {
  await build(options);
  await build(css);
  for (const f of ["app.js", "app.css", "index.html"]) {
    console.error(`${f}: ${statSync(join(outdir, f)).size} bytes`);
  }
}
