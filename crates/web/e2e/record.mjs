// A short screen recording of the workspace for the README: Chromium's own
// screencast (CDP `Page.startScreencast`) while an annotator signs in with the
// dev wallet, draws two boxes and a polygon, previews the batch, signs once and
// sees it mined; ffmpeg (Debian's package) turns the frames into an animated
// WebP, each frame shown for as long as the page showed it.
//
//   node crates/web/e2e/record.mjs [--bin target/release/labelmint] [--out docs/screenshots/workspace.webp]
//
// Not part of CI: it writes a documentation file. Needs `ffmpeg` on PATH.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serveDev } from "./serve.mjs";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const bin = resolve(opt("--bin", join(repo, "target/release/labelmint")));
const out = resolve(opt("--out", join(repo, "docs/screenshots/workspace.webp")));
if (spawnSync("ffmpeg", ["-version"]).status !== 0) {
  console.error("record.mjs needs ffmpeg on PATH (apt-get install ffmpeg)");
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "labelmint-record-"));
const { server, base } = await serveDev(bin, repo, join(work, "data"));
const boxJob = (await (await fetch(`${base}/api/jobs`)).json()).find((j) => j.schema === "bbox");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"],
});
const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
page.setDefaultTimeout(30_000);
await page.goto(base + "/");
await page.getByRole("link", { name: new RegExp(`Job ${boxJob.id}:`) }).waitFor();

// Frames arrive when the page changes; each carries the time it was painted.
const frames = [];
const cdp = await page.context().newCDPSession(page);
cdp.on("Page.screencastFrame", (f) => {
  frames.push({ data: f.data, at: f.metadata.timestamp });
  cdp.send("Page.screencastFrameAck", { sessionId: f.sessionId }).catch(() => {});
});
await cdp.send("Page.startScreencast", { format: "jpeg", quality: 90, maxWidth: 1280, maxHeight: 900 });

const pause = (ms) => page.waitForTimeout(ms);
const stage = async () => page.locator(".stage svg").boundingBox();
async function drag([x0, y0], [x1, y1]) {
  const b = await stage();
  await page.mouse.move(b.x + b.width * x0, b.y + b.height * y0);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width * x1, b.y + b.height * y1, { steps: 12 });
  await page.mouse.up();
  await pause(400);
}
async function click([x, y]) {
  const b = await stage();
  await page.mouse.move(b.x + b.width * x, b.y + b.height * y, { steps: 6 });
  await page.mouse.down();
  await page.mouse.up();
  await pause(250);
}

await pause(1200);
await page.getByRole("button", { name: "Connect wallet" }).click();
await pause(700);
await page.getByRole("button", { name: /^Dev wallet: annotator / }).first().click();
await page.getByTestId("address").waitFor();
await pause(1000);
await page.getByRole("link", { name: new RegExp(`Job ${boxJob.id}:`) }).click();
await page.locator(".stage svg image").waitFor();
await pause(900);
await page.getByRole("button", { name: /^Box/ }).click();
await drag([0.3, 0.3], [0.45, 0.5]);
await page.keyboard.press("2");
await drag([0.55, 0.35], [0.7, 0.6]);
await page.keyboard.press("p");
for (const p of [[0.35, 0.65], [0.5, 0.62], [0.55, 0.8], [0.38, 0.85], [0.35, 0.65]]) await click(p);
await pause(900);
await page.getByRole("button", { name: /^Task 1/ }).click();
await page.keyboard.press("b");
await drag([0.4, 0.4], [0.55, 0.58]);
await pause(600);
await page.getByRole("button", { name: /Preview & submit \(2\)/ }).click();
await page.getByRole("list", { name: "Tasks to submit" }).waitFor();
await pause(1800);
await page.getByRole("button", { name: /Sign once & submit 2 tasks/ }).click();
await page.waitForURL(/#\/work$/);
await page.locator(".sub").first().locator(".b-mined").waitFor();
await pause(2500);
await cdp.send("Page.stopScreencast");
await browser.close();
server.kill("SIGTERM");

// ffmpeg's concat list: every frame for as long as it stayed on screen.
const list = [];
frames.forEach((f, i) => {
  const file = join(work, `f${String(i).padStart(5, "0")}.jpg`);
  writeFileSync(file, Buffer.from(f.data, "base64"));
  const next = frames[i + 1]?.at ?? f.at + 1.5;
  list.push(`file '${file}'`, `duration ${Math.max(0.02, next - f.at).toFixed(3)}`);
});
list.push(`file '${join(work, `f${String(frames.length - 1).padStart(5, "0")}.jpg`)}'`);
writeFileSync(join(work, "frames.txt"), list.join("\n") + "\n");
const ff = spawnSync(
  "ffmpeg",
  ["-y", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", join(work, "frames.txt"),
    "-vf", "fps=12,scale=960:-2:flags=lanczos", "-c:v", "libwebp_anim", "-quality", "70", "-loop", "0", out],
  { stdio: "inherit" },
);
rmSync(work, { recursive: true, force: true });
if (ff.status !== 0) process.exit(1);
const seconds = frames.length ? frames.at(-1).at - frames[0].at : 0;
console.log(`${out}: ${frames.length} frames over ${seconds.toFixed(1)} s, ${statSync(out).size.toLocaleString("en")} bytes`);
process.exit(0);
