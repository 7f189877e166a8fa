// Bundles src/graphiql.js with esbuild into dist/assets/ under content-hashed names (the
// gateway serves them with a year's cache) and writes dist/index.html naming them; the page
// has no inline script, so a strict Content-Security-Policy can stand.
import { readFile, rm, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import * as esbuild from "esbuild";

const OUT = "dist";
const PUBLIC_PATH = "/graphiql/assets";

await rm(OUT, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: ["src/graphiql.js"],
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  outdir: `${OUT}/assets`,
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  publicPath: PUBLIC_PATH,
  loader: { ".woff": "file", ".woff2": "file", ".ttf": "file", ".svg": "file" },
  define: { "process.env.NODE_ENV": '"production"' },
  metafile: true,
  logLevel: "warning",
});

const entry = Object.entries(result.metafile.outputs).find(([, output]) => output.entryPoint);
const [jsPath, { cssBundle }] = entry;
const template = await readFile("src/index.html", "utf8");
const html = template
  .replace("{{js}}", `${PUBLIC_PATH}/${basename(jsPath)}`)
  .replace("{{css}}", `${PUBLIC_PATH}/${basename(cssBundle)}`);
await writeFile(`${OUT}/index.html`, html);
console.log(`built ${OUT}/index.html, ${Object.keys(result.metafile.outputs).length} assets`);
