// The web workspace in a real browser: Playwright (playwright-core) drives
// Debian's Chromium headless against `labelmint serve --dev`, as people use
// it: an annotator, a creator and a buyer, each in its own browser context
// with the dev wallet; then the annotator on a QualityHub consensus job, with
// two rival annotators acting through the API; then the creator creating a
// consensus job with its gold key, and a buyer's fine-tuning request sent to
// a fake 0G fine-tuning provider started here.
//
//   node crates/web/e2e/run.mjs [--bin target/release/labelmint] [--shots DIR] [--headed]
//
// Prints one line per check and closes with "N passed, N failed".
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { createPublicClient, createWalletClient, http, parseAbi, defineChain, encodePacked, keccak256, toHex, concat, recoverMessageAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { build } from "esbuild";
import { serveDev } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const bin = resolve(opt("--bin", process.env.LABELMINT_BIN ?? join(repo, "target/release/labelmint")));
const shots = resolve(opt("--shots", join(repo, "target/e2e-screenshots")));
const chromePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
mkdirSync(shots, { recursive: true });

const started = Date.now();
const results = [];
let failed = false;
async function check(name, fn) {
  if (failed) {
    results.push({ name, ok: false, skipped: true });
    console.log(`SKIP ${name} (an earlier check failed)`);
    return;
  }
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed = true;
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
    await diagnose(name);
  }
}
// What a failed check leaves for whoever reads the log (CI keeps no screenshots):
// each open page's address and visible text, the browser's console errors,
// the API answers that were not 2xx/3xx, and the server's log.
const pages = new Map();
const badResponses = [];
async function diagnose(name) {
  for (const [who, page] of pages) {
    try {
      await page.screenshot({ path: join(shots, `FAIL-${name}-${who}.png`), fullPage: true });
      const text = (await page.evaluate(() => document.body?.innerText ?? "")).replace(/\s+/g, " ").slice(0, 1200);
      console.log(`  [${who}] ${page.url()}\n  [${who}] shows: ${text}`);
    } catch (e) {
      console.log(`  [${who}] cannot be read: ${e?.message ?? e}`);
    }
  }
  for (const e of consoleErrors.slice(-20)) console.log(`  console: ${e}`);
  for (const r of badResponses.slice(-20)) console.log(`  response: ${r}`);
  console.log(`  server log (last 4,000 chars):\n${dev.log.slice(-4000)}`);
}
const assert = (cond, msg) => {
  if (!cond) throw new Error(msg);
};

// ---- a fake 0G fine-tuning provider ------------------------------------------
// What `labelmint serve --broker URL` talks to: it lists a model, takes a task
// only if its signature recovers to the user in the path (the 0G provider's
// getHash: keccak256(user ‖ nonce ‖ datasetHash text ‖ fee), EIP-191), and
// moves a task one state every 300 ms up to Delivered, with a model root.
const STATES = ["Init", "SettingUp", "SetUp", "Training", "Trained", "Delivering", "Delivered", "UserAcknowledged", "Finished"];
const brokerTasks = new Map();
const broker = createServer(async (req, res) => {
  const send = (status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  let body = "";
  for await (const chunk of req) body += chunk;
  const parts = new URL(req.url, "http://x").pathname.split("/").filter(Boolean);
  try {
    if (req.method === "GET" && parts.join("/") === "v1/model") {
      return send(200, [{ name: "Qwen2.5-0.5B-Instruct", hash: "0x" + "51".repeat(32), dataType: "text", description: "instruct model (fake provider)" }]);
    }
    if (req.method === "POST" && parts.length === 4 && parts[0] === "v1" && parts[1] === "user" && parts[3] === "task") {
      const t = JSON.parse(body);
      const digest = keccak256(encodePacked(["address", "uint256", "string", "uint256"], [t.userAddress, BigInt(t.nonce), t.datasetHash, BigInt(t.fee)]));
      const signer = await recoverMessageAddress({ message: { raw: digest }, signature: t.signature });
      if (signer.toLowerCase() !== parts[2].toLowerCase() || t.userAddress.toLowerCase() !== signer.toLowerCase()) return send(401, { error: "invalid signature" });
      const id = `task-${brokerTasks.size + 1}`;
      brokerTasks.set(id, { task: { ...t, id }, at: Date.now(), signer });
      return send(200, { ...t, id, progress: "Init" });
    }
    if (req.method === "GET" && parts.length === 5 && parts[0] === "v1" && parts[3] === "task") {
      const t = brokerTasks.get(parts[4]);
      if (!t || t.signer.toLowerCase() !== parts[2].toLowerCase()) return send(404, { error: "task not found" });
      // It stops at Delivered: the next states wait for the customer's acknowledgement.
      const step = Math.min(6, Math.floor((Date.now() - t.at) / 300));
      return send(200, { ...t.task, progress: STATES[step], ...(step >= 6 ? { outputRootHash: "0x" + "0f".repeat(32) } : {}) });
    }
    send(404, { error: "no route" });
  } catch (e) {
    send(400, { error: String(e) });
  }
});
await new Promise((r) => broker.listen(0, "127.0.0.1", r));
const brokerUrl = `http://127.0.0.1:${broker.address().port}`;

// ---- the server ------------------------------------------------------------
const dataDir = mkdtempSync(join(tmpdir(), "labelmint-e2e-"));
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));
const dev = await serveDev(bin, repo, dataDir, ["--broker", brokerUrl]);
const base = dev.base;
const serverReady = (Date.now() - started) / 1000;
console.log(`labelmint serve --dev at ${base} (ready in ${serverReady.toFixed(1)} s)`);

const apiGet = async (path) => (await fetch(base + path)).json();
const apiPost = async (path, body, token) =>
  (await fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body ?? {}),
  })).json();
const config = await apiGet("/api/config");
const accounts = await apiGet("/api/dev/accounts");
const chain = defineChain({ id: config.chain_id, name: "devnet", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [config.rpc_url] } } });
const pub = createPublicClient({ chain, transport: http(config.rpc_url) });
const jobs = await apiGet("/api/jobs");
const boxJob = jobs.find((j) => j.schema === "bbox");
const textJob = jobs.find((j) => j.schema === "categorical");
const annotator = accounts.find((a) => a.role === "annotator");
const hubJob = (await apiGet("/api/hub/jobs"))[0];
const rival = accounts.filter((a) => a.role === "annotator")[1];

/** A dev account acting outside the browser (a rival annotator): signs in, sends what the API prepares. */
async function actor(acct) {
  const account = privateKeyToAccount(acct.key);
  const n = await apiGet(`/api/auth/nonce?address=${account.address}`);
  const signature = await account.signMessage({ message: n.message });
  const s = await apiPost("/api/auth/verify", { message: n.message, signature });
  const wallet = createWalletClient({ account, chain, transport: http(config.rpc_url) });
  const sendTx = async (tx, what) => {
    assert(tx.to, `${what}: ${JSON.stringify(tx)}`);
    const hash = await wallet.sendTransaction({ to: tx.to, data: tx.data, value: BigInt(tx.value), gas: tx.gas ? BigInt(tx.gas) * 2n : undefined });
    const r = await pub.waitForTransactionReceipt({ hash, pollingInterval: 200 });
    assert(r.status === "success", `${what} reverted`);
  };
  return {
    address: account.address,
    post: (path, body) => apiPost(path, body, s.token),
    get: async (path) => (await fetch(base + path, { headers: { authorization: `Bearer ${s.token}` } })).json(),
    sendTx,
    async send(path, body) {
      await sendTx(await apiPost(path, body, s.token), path);
    },
  };
}

// ---- the browser -----------------------------------------------------------
const browser = await chromium.launch({
  executablePath: chromePath,
  headless: !args.includes("--headed"),
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const consoleErrors = [];
/** Records what `page` logs and answers (for the diagnostics and the last check's error count). */
function watch(page, name) {
  page.setDefaultTimeout(20_000);
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(`${name}: ${m.text()}`));
  page.on("pageerror", (e) => consoleErrors.push(`${name}: ${e.message}`));
  page.on("crash", () => consoleErrors.push(`${name}: the page crashed`));
  page.on("requestfailed", (r) => badResponses.push(`${name}: ${r.method()} ${r.url()} failed: ${r.failure()?.errorText}`));
  page.on("response", async (r) => {
    if (r.status() < 400) return;
    const body = await r.text().catch(() => "");
    badResponses.push(`${name}: ${r.request().method()} ${r.url()} -> ${r.status()} ${body.slice(0, 300)}`);
  });
  pages.set(name, page);
}
async function person(name) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const page = await ctx.newPage();
  watch(page, name);
  await page.goto(base + "/");
  // A fresh browser's first page can be slow to paint (a new machine's first
  // Chromium run): the shell gets two minutes to appear before any check's
  // clock starts.
  await page.locator("#main").waitFor({ timeout: 120_000 }).catch(() => {});
  return page;
}
async function signIn(page, role, nth = 0) {
  await page.getByRole("button", { name: "Connect wallet" }).click();
  await page.getByRole("button", { name: new RegExp(`^Dev wallet: ${role} `) }).nth(nth).click();
  await page.getByTestId("address").waitFor();
}
const shot = (page, name) => page.screenshot({ path: join(shots, name + ".png") });
/** A whole page from its top, without the transient notices. */
async function pageShot(page, name) {
  await page.evaluate(() => {
    document.querySelector(".notices")?.style.setProperty("visibility", "hidden");
    window.scrollTo(0, 0);
  });
  await page.screenshot({ path: join(shots, name + ".png"), fullPage: true });
  await page.evaluate(() => document.querySelector(".notices")?.style.removeProperty("visibility"));
}
const balanceOf = async (page) => (await page.getByTestId("eth-balance").getAttribute("title")).split(" ")[0];

/** Drags on the stage from (x0, y0) to (x1, y1), fractions of its box. */
async function drag(page, [x0, y0], [x1, y1]) {
  const b = await page.locator(".stage svg").boundingBox();
  await page.mouse.move(b.x + b.width * x0, b.y + b.height * y0);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width * ((x0 + x1) / 2), b.y + b.height * ((y0 + y1) / 2), { steps: 4 });
  await page.mouse.move(b.x + b.width * x1, b.y + b.height * y1, { steps: 4 });
  await page.mouse.up();
}
async function click(page, [x, y]) {
  const b = await page.locator(".stage svg").boundingBox();
  await page.mouse.click(b.x + b.width * x, b.y + b.height * y);
}
const draft = (page) =>
  page.evaluate(() => {
    const k = Object.keys(localStorage).find((k) => k.startsWith("labelmint:draft:"));
    return k ? JSON.parse(localStorage.getItem(k)).tasks : {};
  });

// A fresh machine's first paint can come late (the font cache, a busy CPU):
// Preact then subscribes a component to the store only after the server's
// first answers have arrived. This page's frames and timers all run 1.5 s
// late, so the boot's fetches always finish first; the workspace must still
// leave "Connecting to the server…" and show the job list.
const late = await browser.newContext({ viewport: { width: 1024, height: 700 } });
await late.addInitScript(() => {
  const raf = window.requestAnimationFrame.bind(window);
  const later = window.setTimeout.bind(window);
  window.requestAnimationFrame = (cb) => later(() => raf(cb), 1500);
  window.setTimeout = (fn, ms, ...rest) => later(fn, ms > 0 ? ms + 1500 : ms, ...rest);
});
await check("workspace_renders_when_the_server_answers_before_the_first_frame", async () => {
  const page = await late.newPage();
  watch(page, "late-frames");
  await page.goto(base + "/");
  // A fresh browser's first paint gets the same two minutes as every person's first page.
  await page.locator("#main").waitFor({ timeout: 120_000 });
  await page.getByRole("link", { name: new RegExp(`Job ${boxJob.id}:`) }).waitFor({ timeout: 20_000 });
  // The address changes after the first render, before the (late) effect
  // listens for it: the page must still follow it to the catalogue.
  const moved = await late.newPage();
  watch(moved, "late-frames-hash");
  await moved.goto(base + "/");
  await moved.evaluate(() => {
    location.hash = "#/datasets";
  });
  await moved.getByRole("heading", { name: "Datasets", level: 1 }).waitFor({ timeout: 20_000 });
});
pages.delete("late-frames");
pages.delete("late-frames-hash");
await late.close();

const ann = await person("annotator");
const requests = [];
ann.on("request", (r) => r.method() === "POST" && requests.push(new URL(r.url()).pathname));
let editedVertex;

await check("annotator_signs_in_with_the_dev_wallet_through_siwe", async () => {
  await ann.getByRole("link", { name: new RegExp(`Job ${boxJob.id}:`) }).waitFor();
  await shot(ann, "01-jobs");
  await signIn(ann, "annotator");
  const who = await ann.getByTestId("address").getAttribute("title");
  assert(who.toLowerCase() === annotator.address.toLowerCase(), `signed in as ${who}`);
  await ann.locator(".dev-label").getByText("Dev wallet (annotator)").waitFor();
  await ann.getByTestId("eth-balance").waitFor();
});

await check("annotator_draws_two_boxes_and_a_polygon_and_edits_a_vertex", async () => {
  await ann.getByRole("link", { name: new RegExp(`Job ${boxJob.id}:`) }).click();
  await ann.locator(".stage svg image").waitFor();
  await ann.getByRole("button", { name: /^Box/ }).click();
  await drag(ann, [0.3, 0.3], [0.45, 0.5]);
  await ann.keyboard.press("2"); // class 2 for the next shapes
  await drag(ann, [0.55, 0.35], [0.7, 0.6]);
  await ann.keyboard.press("p");
  for (const p of [[0.35, 0.65], [0.5, 0.62], [0.55, 0.8], [0.38, 0.85]]) await click(ann, p);
  await click(ann, [0.35, 0.65]); // the first point closes it
  await ann.getByText("polygon, 4 points").waitFor();
  const before = (await draft(ann))[0].items[2].points[1];
  // Select the polygon and move its second vertex.
  await ann.keyboard.press("v");
  await ann.getByRole("button", { name: /polygon, 4 points/ }).click();
  const v = await ann.locator('[data-vertex="1"]').boundingBox();
  await ann.mouse.move(v.x + v.width / 2, v.y + v.height / 2);
  await ann.mouse.down();
  await ann.mouse.move(v.x + 40, v.y - 30, { steps: 5 });
  await ann.mouse.up();
  const d = await draft(ann);
  assert(d[0].items.length === 3, `3 shapes in the draft, got ${d[0].items.length}`);
  assert(d[0].items.filter((i) => i.kind === "box").length === 2, "two boxes");
  assert(d[0].items[0].category === 0 && d[0].items[1].category === 1, "classes picked by keyboard");
  editedVertex = d[0].items[2].points[1];
  // The vertex follows the pointer one to one: on screen it sits where the
  // mouse was let go, and in image pixels it moved by the screen distance over
  // the zoom (the 48 px demo images are shown ~11x, so ~35 screen px are ~3 image px).
  const k = Number(await ann.locator(".stage").getAttribute("data-zoom"));
  const w = await ann.locator('[data-vertex="1"]').boundingBox();
  const [sx, sy] = [v.x + 40 - (v.x + v.width / 2), v.y - 30 - (v.y + v.height / 2)];
  assert(Math.abs(w.x + w.width / 2 - (v.x + 40)) <= 1 && Math.abs(w.y + w.height / 2 - (v.y - 30)) <= 1, `vertex drawn at ${JSON.stringify(w)}, pointer let go at ${v.x + 40},${v.y - 30}`);
  assert(Math.abs(editedVertex[0] - before[0] - sx / k) < 0.05 && Math.abs(editedVertex[1] - before[1] - sy / k) < 0.05, `vertex moved from ${before} to ${editedVertex}, pointer by ${sx},${sy} at zoom ${k}`);
  // Undo puts the vertex back, redo moves it again.
  await ann.keyboard.press("Control+z");
  assert(JSON.stringify((await draft(ann))[0].items[2].points[1]) === JSON.stringify(before), "undo restores the vertex");
  await ann.keyboard.press("Control+y");
  assert(JSON.stringify((await draft(ann))[0].items[2].points[1]) === JSON.stringify(editedVertex), "redo re-applies the edit");
  await shot(ann, "02-annotate");
  // A second task: one box, resized by its south-east handle; then a stray box deleted.
  await ann.getByRole("button", { name: /^Task 1/ }).click();
  await ann.keyboard.press("b");
  await drag(ann, [0.4, 0.4], [0.5, 0.5]);
  if (process.env.E2E_DEBUG) console.log("after box", JSON.stringify(await draft(ann)), await ann.locator(".tool.on").textContent());
  const h = await ann.locator(".h-se").boundingBox();
  await ann.mouse.move(h.x + h.width / 2, h.y + h.height / 2);
  await ann.mouse.down();
  await ann.mouse.move(h.x + 60, h.y + 50, { steps: 5 });
  await ann.mouse.up();
  await drag(ann, [0.25, 0.15], [0.32, 0.25]);
  await ann.keyboard.press("Delete");
  const t1 = (await draft(ann))[1].items;
  assert(t1.length === 1 && t1[0].kind === "box", `task 1: one box, got ${JSON.stringify(t1)}`);
});

await check("draft_is_restored_after_a_reload", async () => {
  await ann.reload();
  await ann.getByTestId("draft-status").getByText(/Draft restored: 2 tasks/).waitFor();
  await ann.getByRole("button", { name: /^Task 0/ }).click();
  await ann.getByText("polygon, 4 points").waitFor();
  const d = await draft(ann);
  assert(JSON.stringify(d[0].items[2].points[1]) === JSON.stringify(editedVertex), "the edited vertex survived");
  assert((await ann.locator(".stage .shape").count()) === 3, "three shapes drawn after the reload");
});

let firstSubmission;
await check("preview_then_one_signature_submits_the_batch_and_it_is_mined", async () => {
  await ann.getByRole("button", { name: /Preview & submit \(2\)/ }).click();
  const grid = ann.getByRole("list", { name: "Tasks to submit" });
  await grid.waitFor();
  assert((await grid.locator(".preview-item.done").count()) === 2, "two done");
  assert((await grid.locator(".preview-item.pending").count()) === 4, "four pending");
  await shot(ann, "03-preview");
  const before = requests.length;
  await ann.getByRole("button", { name: /Sign once & submit 2 tasks/ }).click();
  await ann.waitForURL(/#\/work$/);
  const posted = requests.slice(before);
  assert(posted.filter((p) => p === "/api/submissions").length === 1, `one signed batch posted: ${posted}`);
  const row = ann.locator(".sub").first();
  await row.locator(".b-mined").waitFor({ timeout: 30_000 });
  firstSubmission = await row.getAttribute("data-testid");
  assert(/0x[0-9a-f]{64}/.test(await row.locator("[data-hash]").first().getAttribute("data-hash")), "tx hash shown");
  const d = await draft(ann);
  assert(!d[0] && !d[1], "submitted tasks left the draft");
});

const creator = await person("creator");
let before;
await check("creator_approves_one_task_and_rejects_one", async () => {
  before = await balanceOf(ann);
  await signIn(creator, "creator");
  await creator.goto(`${base}/#/creator/jobs/${boxJob.id}`);
  const batch = creator.locator(".review-batch").first();
  await batch.waitFor();
  assert((await batch.locator(".thumb polygon").count()) === 1 && (await batch.locator(".thumb rect").count()) === 3, "the annotator's shapes are drawn over the images");
  await creator.getByRole("group", { name: "Verdict for task 1" }).getByRole("button", { name: /Reject/ }).click();
  await creator.getByRole("combobox", { name: "Reason for rejecting task 1" }).selectOption({ label: "Shape not tight" });
  await shot(creator, "04-review");
  await creator.getByRole("button", { name: /Submit review: 1 approve, 1 reject/ }).click();
  await creator.locator(".notice.ok").getByText(/mined in block/).waitFor({ timeout: 30_000 });
});

await check("annotator_header_balance_changes_without_a_reload", async () => {
  await ann.waitForFunction((b) => document.querySelector('[data-testid="eth-balance"]')?.getAttribute("title")?.split(" ")[0] !== b, before, { timeout: 20_000 });
  const after = await balanceOf(ann);
  assert(BigInt(after) - BigInt(before) === BigInt(boxJob.reward_per_task), `paid one task: ${before} -> ${after}`);
  const row = ann.locator(`[data-testid="${firstSubmission}"]`);
  await row.getByText("approved · paid").waitFor();
  await row.getByText("rejected: Shape not tight").waitFor();
  await row.getByRole("button", { name: /Dispute \(0\.0002 ETH bond\)/ }).waitFor();
  await shot(ann, "05-my-work-reviewed");
});

await check("annotator_disputes_the_rejection_with_the_bond", async () => {
  await ann.locator(`[data-testid="${firstSubmission}"]`).getByRole("button", { name: /Dispute/ }).click();
  await ann.locator(`[data-testid="${firstSubmission}"]`).getByText(/waiting for the arbiter/).waitFor({ timeout: 30_000 });
});

await check("failing_submission_shows_its_revert_name_and_hash_and_retry_works", async () => {
  // The relayer holds the batch while a rival annotator reserves the same task.
  await apiPost("/api/dev/relayer", { paused: true });
  await ann.goto(`${base}/#/jobs/${boxJob.id}`);
  await ann.getByRole("button", { name: /^Task 2/ }).click();
  await ann.locator(".stage svg image").waitFor();
  await ann.keyboard.press("b");
  await drag(ann, [0.3, 0.3], [0.6, 0.6]);
  await ann.getByRole("button", { name: /Preview & submit \(1\)/ }).click();
  await ann.getByRole("button", { name: /Sign once & submit 1 tasks/ }).click();
  await ann.waitForURL(/#\/work$/);
  const row = ann.locator(".sub").first();
  await row.locator(".b-queued").waitFor();
  const r = await actor(rival);
  await r.send(`/api/jobs/${boxJob.id}/claim/prepare`, { task_ids: [2] });
  await apiPost("/api/dev/relayer", { paused: false });
  await row.locator(".b-failed").waitFor({ timeout: 30_000 });
  const name = await row.locator(".revert-name").textContent();
  assert(name === "TaskClaimed", `revert name ${name}`);
  const hash = await row.locator("[data-hash]").first().getAttribute("data-hash");
  const receipt = await pub.getTransactionReceipt({ hash });
  assert(receipt.status === "reverted", "the failure was mined as a revert");
  await shot(ann, "06-failed-with-retry");
  // The rival lets go; retry sends the same signed batch again.
  await r.send(`/api/jobs/${boxJob.id}/release/prepare`, { task_ids: [2] });
  await row.getByRole("button", { name: "Retry" }).click();
  await row.locator(".b-mined").waitFor({ timeout: 30_000 });
});

await check("annotator_classifies_texts_with_keyboard_shortcuts", async () => {
  await ann.goto(`${base}/#/jobs/${textJob.id}`);
  await ann.locator(".text-task blockquote").waitFor();
  for (let i = 0; i < textJob.task_count; i++) {
    await ann.locator(".text-task blockquote").filter({ hasNotText: "Loading…" }).waitFor();
    await ann.keyboard.press(i % 3 === 0 ? "1" : "2");
  }
  await shot(ann, "07-text");
  await ann.getByRole("button", { name: new RegExp(`Preview & submit \\(${textJob.task_count}\\)`) }).click();
  await ann.getByRole("button", { name: /Sign once & submit/ }).click();
  await ann.waitForURL(/#\/work$/);
  await ann.locator(".sub").first().locator(".b-mined").waitFor({ timeout: 30_000 });
});

let dataset;
await check("creator_approves_every_text_and_publishes_the_dataset", async () => {
  await creator.goto(`${base}/#/creator/jobs/${textJob.id}`);
  await creator.getByRole("button", { name: new RegExp(`Submit review: ${textJob.task_count} approve, 0 reject`) }).click();
  await creator.locator(".notice.ok").getByText(/Review of batch .* mined/).waitFor({ timeout: 30_000 });
  await creator.getByRole("tab", { name: "Status & audit" }).click();
  await creator.locator(".b-completed").waitFor({ timeout: 20_000 });
  await shot(creator, "08-status");
  await creator.getByRole("tab", { name: "Publish" }).click();
  await creator.getByRole("button", { name: "Build the package" }).click();
  await creator.getByTestId("package").waitFor();
  await creator.getByRole("radio", { name: /RewardToken \(LMR\)/ }).check();
  await creator.getByRole("button", { name: "Publish for 0.01 LMR" }).click();
  await creator.waitForURL(/#\/datasets$/);
  await creator.locator(".dataset").first().waitFor();
  dataset = (await apiGet("/api/datasets"))[0];
  assert(dataset && dataset.provenance.source_job_id === textJob.id, "the dataset names its source job");
  assert(dataset.payment_token.toLowerCase() === config.token.toLowerCase() && dataset.price === "10000000000000000", `priced 0.01 LMR: ${JSON.stringify(dataset)}`);
});

const erc20 = parseAbi([
  "function balanceOf(address) view returns (uint256)",
  "function allowance(address, address) view returns (uint256)",
  "function nonces(address) view returns (uint256)",
]);
const lmr = (wei) => Number(BigInt(wei) / 10n ** 12n) / 1e6;
const lmrOf = (who) => pub.readContract({ address: config.token, abi: erc20, functionName: "balanceOf", args: [who] });
const buyerAcct = accounts.find((a) => a.role === "buyer");
const creatorAcct = accounts.find((a) => a.role === "creator");
let buyer;

await check("buyer_pays_in_lmr_with_a_signed_permit_downloads_and_the_files_root_matches_the_registry", async () => {
  buyer = await person("buyer");
  await signIn(buyer, "buyer");
  // The annotator watches My work while the sale happens (its royalty must show live).
  await ann.goto(`${base}/#/work`);
  await ann.getByTestId("earnings").getByText("Nothing to withdraw.", { exact: false }).waitFor();
  await buyer.goto(`${base}/#/datasets`);
  const card = buyer.getByTestId(`dataset-${dataset.id}`);
  await card.getByText("0.01 LMR").first().waitFor();
  const lmrBefore = await lmrOf(buyerAcct.address);
  // One transaction: the permit is a signature, not an approval.
  const sent = [];
  await buyer.route("**/api/dev/rpc", async (route) => {
    if ((route.request().postData() ?? "").includes("eth_sendRawTransaction")) sent.push(1);
    await route.continue();
  });
  await card.getByRole("button", { name: "Buy licence" }).click();
  await buyer.locator(".notice.ok").getByText(/Licence for dataset .* \(paid in LMR with a permit\).* mined/).waitFor({ timeout: 30_000 });
  await buyer.unroute("**/api/dev/rpc");
  assert(sent.length === 1, `one transaction sent, not ${sent.length}`);
  assert(lmrBefore - (await lmrOf(buyerAcct.address)) === BigInt(dataset.price), "the price was pulled in LMR");
  assert((await pub.readContract({ address: config.token, abi: erc20, functionName: "allowance", args: [buyerAcct.address, config.registry] })) === 0n, "the permit's allowance was spent exactly");
  assert((await pub.readContract({ address: config.token, abi: erc20, functionName: "nonces", args: [buyerAcct.address] })) === 1n, "one permit used");
  const [download] = await Promise.all([buyer.waitForEvent("download"), card.getByRole("button", { name: /Download/ }).click()]);
  const file = join(dataDir, "download.zip");
  await download.saveAs(file);
  await card.getByTestId("verified").getByText(/Verified/).waitFor();
  await shot(buyer, "09-datasets");
  const registry = parseAbi([
    "function getDataset(uint256) view returns (address publisher, bytes32 rootHash, bytes32 metadataHash, bytes32 dataRoot, uint8 format, uint128 price, address paymentToken, address source, uint256 sourceJobId, uint256 previousVersion, uint256 licenseRoot, bool isExternal, bool carryLicenses, bool listed, uint16 royaltyBps, uint16 feeBps, uint32 shares, uint64 publishedAt)",
    "function hasLicense(uint256, address) view returns (bool)",
  ]);
  const onChain = await pub.readContract({ address: config.registry, abi: registry, functionName: "getDataset", args: [BigInt(dataset.id)] });
  const bytes = new Uint8Array(readFileSync(file));
  // An independent implementation of the 0G root: the official TypeScript SDK.
  const sdk = join(repo, "scripts/zg/node_modules/@0glabs/0g-ts-sdk");
  let root;
  if (existsSync(sdk)) {
    const { MemData } = await import(join(sdk, "lib.esm/index.js")).catch(() => import("@0glabs/0g-ts-sdk"));
    const [tree, err] = await new MemData(bytes).merkleTree();
    assert(!err, String(err));
    root = tree.rootHash();
  } else {
    root = (await zgRootOfWorkspace())(bytes);
  }
  assert(root.toLowerCase() === onChain[1].toLowerCase(), `downloaded root ${root} vs registry ${onChain[1]}`);
  const shown = await card.getByTestId("verified").getAttribute("data-root");
  assert(shown.toLowerCase() === onChain[1].toLowerCase(), "the page computed the same root");
  const buyerAddr = accounts.find((a) => a.role === "buyer").address;
  assert(await pub.readContract({ address: config.registry, abi: registry, functionName: "hasLicense", args: [BigInt(dataset.id), buyerAddr] }), "licence on chain");
});


await check("annotator_withdraws_the_royalty_of_the_sold_text_dataset_from_my_work", async () => {
  // The sale of the text dataset paid its royalty share (pro rata to the
  // approved tasks: the browser annotator labelled them all) into the job's pool.
  const mine = await ann.evaluate(() => fetch("/api/me/royalties").then((r) => r.json()));
  const pool = mine.pools.find((p) => p.source === "market" && p.job_id === textJob.id);
  // A whole royalty per share (the remainder waits for the next sale); the
  // annotator holds every share.
  const shares = BigInt(dataset.provenance.shares);
  const royalty = (((BigInt(dataset.price) * BigInt(dataset.royalty_bps)) / 10000n) / shares) * shares;
  assert(pool && BigInt(pool.amount) === royalty, `the annotator's pool: ${JSON.stringify(mine)}, expected ${royalty}`);
  // My work was open during the sale: the row arrives by the live stream, no reload.
  assert(new URL(ann.url()).hash === "#/work", `the annotator is still on My work: ${ann.url()}`);
  const row = ann.getByTestId(`royalty-market-${textJob.id}`);
  await row.getByText(`from review job #${textJob.id}`).waitFor();
  await pageShot(ann, "17-royalties");
  const before = await lmrOf(annotator.address);
  await row.getByRole("button", { name: "Withdraw" }).click();
  await ann.locator(".notice.ok").getByText(/Withdraw .* from review job .* mined/).waitFor({ timeout: 30_000 });
  assert((await lmrOf(annotator.address)) - before === royalty, "the wallet received the royalty");
  await row.waitFor({ state: "detached", timeout: 20_000 });
});

await check("buyer_starts_fine_tuning_on_the_text_dataset_and_follows_it_to_delivery", async () => {
  const card = buyer.getByTestId(`dataset-${dataset.id}`);
  const panel = card.getByTestId("finetune");
  await panel.locator("summary").click();
  await panel.getByRole("combobox", { name: "Model" }).locator("option", { hasText: "Qwen2.5-0.5B-Instruct" }).waitFor({ state: "attached" });
  await panel.getByRole("button", { name: "Start fine-tuning" }).click();
  const row = panel.locator(".finetune-task").first();
  await row.waitFor({ timeout: 20_000 });
  await row.locator(".badge").getByText("Delivered").waitFor({ timeout: 30_000 });
  await row.locator("[data-hash]").first().waitFor();
  assert((await row.locator("[data-hash]").first().getAttribute("data-hash")) === "0x" + "0f".repeat(32), "the delivered model's root is shown");
  // The provider got the registry's root, signed by the licensed buyer.
  const [task] = [...brokerTasks.values()];
  assert(brokerTasks.size === 1 && task.signer.toLowerCase() === buyerAcct.address.toLowerCase(), `the provider recovered the buyer: ${task?.signer}`);
  assert(task.task.datasetHash.toLowerCase() === dataset.root_hash.toLowerCase(), `dataset root ${task.task.datasetHash}`);
  await pageShot(buyer, "16-finetune");
});

await check("creator_escrows_a_review_job_in_lmr_with_a_signed_permit", async () => {
  await creator.goto(`${base}/#/create`);
  const texts = join(repo, "crates/server/samples/texts");
  await creator.getByLabel("Choose files to upload").setInputFiles(["00.txt", "01.txt", "02.txt"].map((f) => join(texts, f)));
  await creator.getByRole("button", { name: "Upload 3 files" }).click();
  await creator.getByTestId("upload-result").waitFor();
  await creator.getByLabel("Title").fill("Sentiment, paid in LMR");
  await creator.getByRole("radio", { name: /RewardToken \(LMR\) — your wallet signs/ }).check();
  await creator.getByLabel(/Reward per task \(LMR\)/).fill("0.02");
  await creator.getByText(/Escrow: 0\.06 LMR/).waitFor();
  const before = await lmrOf(creatorAcct.address);
  const sent = [];
  await creator.route("**/api/dev/rpc", async (route) => {
    if ((route.request().postData() ?? "").includes("eth_sendRawTransaction")) sent.push(1);
    await route.continue();
  });
  await creator.getByRole("button", { name: "Sign the permit and create the job" }).click();
  await creator.waitForURL(/#\/creator\/jobs\/\d+$/, { timeout: 30_000 });
  await creator.unroute("**/api/dev/rpc");
  const id = Number(creator.url().match(/jobs\/(\d+)$/)[1]);
  const j = await apiGet(`/api/jobs/${id}`);
  assert(j.token.toLowerCase() === config.token.toLowerCase(), `escrowed in LMR: ${j.token}`);
  assert(j.escrow_held === "60000000000000000", `escrow ${j.escrow_held}`);
  assert(sent.length === 1, `one transaction (createJobWithPermit), not ${sent.length}`);
  assert(before - (await lmrOf(creatorAcct.address)) === 60000000000000000n, "the escrow left the wallet in LMR");
  assert((await pub.readContract({ address: config.token, abi: erc20, functionName: "allowance", args: [creatorAcct.address, config.market] })) === 0n, "no allowance left behind");
  await creator.getByText(/0\.02 LMR per task/).waitFor();
});

await check("creator_escrows_a_review_job_with_difficulty_classes_by_weight", async () => {
  await creator.goto(`${base}/#/create`);
  const texts = join(repo, "crates/server/samples/texts");
  await creator.getByLabel("Choose files to upload").setInputFiles(["03.txt", "04.txt", "05.txt"].map((f) => join(texts, f)));
  await creator.getByRole("button", { name: "Upload 3 files" }).click();
  await creator.getByTestId("upload-result").waitFor();
  await creator.getByLabel("Title").fill("Sentiment, the last text hard");
  await creator.getByLabel(/Reward per task \(ETH\)/).fill("0.001");
  // Two easy texts and one of weight 4: 6 units.
  await creator.getByLabel(/Difficulty classes \(optional: "end:weight, …", tasks in upload order; a task of weight w escrows/).fill("2:1, 3:4");
  await creator.getByTestId("review-escrow").getByText(/Escrow: 0\.006 ETH \(3 tasks, 6 units by weight, × 0\.001 ETH\)/).waitFor();
  await creator.getByRole("button", { name: "Escrow and create the job" }).click();
  await creator.waitForURL(/#\/creator\/jobs\/\d+$/, { timeout: 30_000 });
  const id = Number(creator.url().match(/jobs\/(\d+)$/)[1]);
  const j = await apiGet(`/api/jobs/${id}`);
  assert(j.escrow_held === "6000000000000000", `escrow by weight: ${j.escrow_held}`);
  const weightOf = (t) =>
    pub.readContract({ address: config.market, abi: parseAbi(["function taskWeight(uint256 jobId, uint32 taskId) view returns (uint8)"]), functionName: "taskWeight", args: [BigInt(id), t] });
  const weights = [await weightOf(0), await weightOf(1), await weightOf(2)];
  assert(weights.join(",") === "1,1,4", `the market weighs the tasks 1, 1, 4: ${weights}`);
});

// ---- consensus jobs (QualityHub) -------------------------------------------
// The browser annotator labels every text, one of them against the others;
// two rival annotators (dev accounts outside the browser) label the truth.
const TRUTH = [1, 0, 1, 0, 1, 0];
const mineLabels = [1, 0, 1, 0, 1, 1];
const commitmentOf = (job, who, labels, salt) =>
  keccak256(encodePacked(["uint256", "address", "bytes", "bytes32"], [BigInt(job), who, toHex(Uint8Array.from(labels)), salt]));
const rivals = [];
let hubBatch;

await check("hub_annotator_stakes_labels_and_commits_with_the_salt_saved_before_the_transaction", async () => {
  assert(hubJob && hubJob.phase === "commit", `a seeded consensus job in its commit phase: ${JSON.stringify(hubJob)}`);
  await ann.setViewportSize({ width: 1440, height: 900 });
  await ann.goto(`${base}/#/`);
  await ann.getByRole("link", { name: new RegExp(`Consensus job ${hubJob.id}:`) }).click();
  await ann.waitForURL(new RegExp(`#/hub/${hubJob.id}$`));
  const warning = ann.getByTestId("salt-warning");
  await warning.getByText(/Your salt stays in this browser/).waitFor();
  assert(/forfeited/.test(await warning.textContent()), "the warning says the stake is forfeited if the salt is lost");
  // Stake exactly what six labels lock: approve, then stake, from the wallet.
  const need = (BigInt(hubJob.stake_per_label) * 6n).toString();
  await ann.getByTestId("stake-needed").getByText(String(lmr(need))).waitFor();
  await ann.getByLabel("Amount to stake (LMR)").fill(String(lmr(need)));
  await ann.getByRole("button", { name: "Stake", exact: true }).click();
  await ann.waitForFunction(() => /0\.12/.test(document.querySelector('[data-testid="stake-free"]')?.textContent ?? ""), null, { timeout: 30_000 });
  // Label every text with the keyboard (task 5 against the others).
  await ann.getByRole("button", { name: /^Task 0/ }).click();
  for (let i = 0; i < 6; i++) {
    await ann.locator(".hub .text-task blockquote").filter({ hasNotText: "Loading…" }).waitFor();
    await ann.keyboard.press(String(mineLabels[i] + 1));
  }
  await ann.getByTestId("hub-draft-status").getByText(/6 of 6 labelled/).waitFor();
  await pageShot(ann, "11-hub-labelled");
  // The commit transaction must not leave the page before its salt is stored.
  let saltAtSend = null;
  await ann.route("**/api/dev/rpc", async (route) => {
    const body = route.request().postData() ?? "";
    if (saltAtSend === null && body.includes("eth_sendRawTransaction")) {
      saltAtSend = await ann.evaluate((job) => {
        const k = Object.keys(localStorage).find((k) => k.startsWith("labelmint:hub-salts:"));
        const entries = k ? JSON.parse(localStorage.getItem(k)).entries : [];
        return entries.find((e) => e.job === job && !e.txHash) ?? null;
      }, hubJob.id);
    }
    await route.continue();
  });
  await ann.getByRole("button", { name: "Commit 6 labels" }).click();
  const row = ann.locator(".hub-batch").first();
  await row.locator(".b-hub-committed").waitFor({ timeout: 30_000 });
  await ann.unroute("**/api/dev/rpc");
  assert(saltAtSend && /^0x[0-9a-f]{64}$/.test(saltAtSend.salt), `the salt was in localStorage when the commit was sent: ${JSON.stringify(saltAtSend)}`);
  assert(JSON.stringify(saltAtSend.labels) === JSON.stringify(mineLabels), "with the labels");
  const mine = await ann.evaluate((id) => fetch(`/api/hub/jobs/${id}/batches`).then((r) => r.json()), hubJob.id);
  hubBatch = mine.batches[0];
  assert(hubBatch.commitment === saltAtSend.commitment, "the batch on chain carries the stored commitment");
  assert(commitmentOf(hubJob.id, annotator.address, mineLabels, saltAtSend.salt) === hubBatch.commitment, "which is keccak256(job, annotator, labels, salt)");
  await row.getByText("salt saved in this browser").waitFor();
  await ann.getByTestId("reveal-reminder").getByText(/1 committed batch to reveal between/).waitFor();
  // The salts can be exported.
  const [download] = await Promise.all([ann.waitForEvent("download"), ann.getByRole("button", { name: "Export salts" }).click()]);
  const file = join(dataDir, "salts.json");
  await download.saveAs(file);
  const exported = JSON.parse(readFileSync(file, "utf8"));
  assert(exported.entries.some((e) => e.salt === saltAtSend.salt && e.commitment === hubBatch.commitment), "the export holds the salt");
});

await check("hub_clock_moves_to_the_reveal_phase_and_the_reminder_reveals_with_the_saved_salt", async () => {
  // Two rivals stake, label the truth and commit.
  for (const acct of accounts.filter((a) => a.role === "annotator").slice(1, 3)) {
    const r = await actor(acct);
    const staked = await r.post("/api/hub/stake/prepare", { amount: (BigInt(hubJob.stake_per_label) * 6n).toString() });
    for (const tx of staked.txs) await r.sendTx(tx, tx.function);
    const salt = toHex(crypto.getRandomValues(new Uint8Array(32)));
    const commitment = commitmentOf(hubJob.id, r.address, TRUTH, salt);
    await r.send(`/api/hub/jobs/${hubJob.id}/commit/prepare`, { task_ids: [0, 1, 2, 3, 4, 5], commitment });
    rivals.push({ r, salt, commitment });
  }
  await ann.getByRole("button", { name: "Skip to the reveal phase" }).click();
  const reminder = ann.getByRole("alert").filter({ hasText: /Reveal 1 batch before/ });
  await reminder.waitFor({ timeout: 20_000 });
  assert(/loses its whole stake/.test(await reminder.textContent()), "the reminder says what is lost");
  await pageShot(ann, "12-hub-reveal-reminder");
  await reminder.getByRole("button", { name: new RegExp(`Reveal batch ${hubBatch.batch_id} \\(6 labels\\)`) }).click();
  await ann.locator(`[data-testid="hub-batch-${hubBatch.batch_id}"] .b-hub-revealed`).waitFor({ timeout: 30_000 });
  await reminder.waitFor({ state: "detached" });
  // The rivals reveal the truth.
  for (const { r, salt, commitment } of rivals) {
    let b;
    for (let i = 0; i < 100 && !b; i++) {
      b = (await r.get(`/api/hub/jobs/${hubJob.id}/batches`)).batches?.find((x) => x.commitment === commitment);
      if (!b) await new Promise((res) => setTimeout(res, 100));
    }
    assert(b, "the rival's batch is indexed");
    await r.sendTx(await r.post(`/api/hub/jobs/${hubJob.id}/reveal/prepare`, { batch_id: b.batch_id, labels: TRUTH, salt }), "reveal");
  }
});

await check("hub_settle_shows_paid_and_slashed_and_the_credit_reaches_the_header_balance", async () => {
  await ann.getByRole("button", { name: "Skip to the settle phase" }).click();
  const row = ann.locator(`[data-testid="hub-batch-${hubBatch.batch_id}"]`);
  await row.getByRole("button", { name: `Settle batch ${hubBatch.batch_id}` }).click();
  await row.locator(".b-hub-settled").waitFor({ timeout: 30_000 });
  // Tasks 0-4: all three agree, a reward each; task 5: the rivals' majority, half a stake lost.
  const reward = BigInt(hubJob.reward_per_label);
  await row.getByText(`paid ${lmr(reward * 5n)} LMR`).waitFor();
  await row.getByText(`slashed ${lmr(BigInt(hubJob.stake_per_label) / 2n)} LMR`).waitFor();
  await row.getByText("5 agreed · 1 disagreed").waitFor();
  await row.getByText(/Task 5: positive\s*majority negative/).waitFor();
  await ann.getByTestId("hub-credit").getByText(String(lmr(reward * 5n))).waitFor({ timeout: 20_000 });
  const before = (await ann.getByTestId("token-balance").getAttribute("title")).split(" ")[0];
  await pageShot(ann, "13-hub-settled");
  await ann.getByRole("button", { name: "Withdraw credit" }).click();
  await ann.waitForFunction((b) => document.querySelector('[data-testid="token-balance"]')?.getAttribute("title")?.split(" ")[0] !== b, before, { timeout: 20_000 });
  const after = (await ann.getByTestId("token-balance").getAttribute("title")).split(" ")[0];
  assert(BigInt(after) - BigInt(before) === reward * 5n, `the header's LMR rose by the pay: ${before} -> ${after}`);
  await ann.waitForFunction(() => document.querySelector('[data-testid="hub-credit"]')?.textContent?.trim() === "0 LMR");
});

const goldCommitmentOf = (who, tasks, labels, salt) =>
  keccak256(concat([who, toHex(Uint8Array.from(tasks.flatMap((t) => [t >>> 24, (t >>> 16) & 255, (t >>> 8) & 255, t & 255]))), toHex(Uint8Array.from(labels)), salt]));
let creatorHub;

await check("creator_creates_a_consensus_job_with_gold_tasks_and_the_key_is_saved_before_any_transaction", async () => {
  await creator.goto(`${base}/#/create`);
  const texts = join(repo, "crates/server/samples/texts");
  await creator.getByLabel("Choose files to upload").setInputFiles(["00.txt", "01.txt", "02.txt", "03.txt", "04.txt"].map((f) => join(texts, f)));
  await creator.getByRole("button", { name: "Upload 5 files" }).click();
  await creator.getByTestId("upload-result").waitFor();
  await creator.getByLabel("Title").fill("Sentiment by majority (browser-made)");
  await creator.getByRole("radio", { name: /Majority with stakes/ }).check();
  // Gold answers can come from a CSV file: a bad line is named, a good file ticks the task.
  const csv = (text) => ({ name: "gold.csv", mimeType: "text/csv", buffer: Buffer.from(text) });
  await creator.getByTestId("gold-csv").setInputFiles(csv("task,class\n0,maybe\n"));
  await creator.locator(".notice.error").getByText(/gold\.csv: Line 2: "maybe" is not one of the classes/).waitFor();
  await creator.getByTestId("gold-csv").setInputFiles(csv("task,class\n0,positive\n"));
  await creator.locator(".notice.ok").getByText("1 gold answer imported from gold.csv.").waitFor();
  assert(await creator.getByRole("checkbox", { name: "Task 0 is gold" }).isChecked(), "the CSV ticked task 0");
  const answer = await creator.getByRole("combobox", { name: "Answer of gold task 0" }).evaluate((el) => el.options[el.selectedIndex].text);
  assert(answer === "positive", `the CSV's answer is selected: ${answer}`);
  await creator.getByRole("checkbox", { name: "Task 0 is gold" }).check();
  await creator.getByRole("combobox", { name: "Answer of gold task 0" }).selectOption({ label: "positive" });
  await creator.getByLabel(/Labels per task/).fill("3");
  await creator.getByLabel(/Commit phase/).fill("2");
  await creator.getByTestId("hub-terms").getByText(/fee 0\.0001 LMR per ruling/).waitFor();
  await creator.getByTestId("gold-warning").getByText(/Your gold key stays in this browser/).waitFor();
  await pageShot(creator, "14-create-consensus");
  // Neither the approval nor the creation may leave before the key is stored.
  let keyAtFirstSend = undefined;
  const sent = [];
  await creator.route("**/api/dev/rpc", async (route) => {
    if ((route.request().postData() ?? "").includes("eth_sendRawTransaction")) {
      sent.push(1);
      if (keyAtFirstSend === undefined) {
        keyAtFirstSend = await creator.evaluate(() => {
          const k = Object.keys(localStorage).find((k) => k.startsWith("labelmint:hub-gold:"));
          return k ? JSON.parse(localStorage.getItem(k)).entries.at(-1) ?? null : null;
        });
      }
    }
    await route.continue();
  });
  await creator.getByRole("button", { name: "Save the gold key and create the consensus job" }).click();
  await creator.waitForURL(/#\/creator\/hub\/\d+$/, { timeout: 30_000 });
  await creator.unroute("**/api/dev/rpc");
  assert(sent.length === 2, `the approval and the creation: ${sent.length} transactions`);
  assert(keyAtFirstSend && JSON.stringify(keyAtFirstSend.tasks) === "[0]" && JSON.stringify(keyAtFirstSend.labels) === "[1]", `the key was stored before the first transaction: ${JSON.stringify(keyAtFirstSend)}`);
  assert(goldCommitmentOf(creatorAcct.address, [0], [1], keyAtFirstSend.salt) === keyAtFirstSend.commitment, "its commitment is keccak256(creator, tasks, labels, salt)");
  const id = Number(creator.url().match(/hub\/(\d+)$/)[1]);
  creatorHub = await apiGet(`/api/hub/jobs/${id}`);
  assert(creatorHub.creator.toLowerCase() === creatorAcct.address.toLowerCase() && creatorHub.gold_tasks === 1 && creatorHub.replication === 3, JSON.stringify(creatorHub));
  assert(creatorHub.metadata?.title === "Sentiment by majority (browser-made)", "described");
  assert(creatorHub.commit_end - creatorHub.now <= 2 * 3600 && creatorHub.escrow_held === (10n ** 16n * 15n).toString(), `2 h commits, 0.15 LMR escrow: ${JSON.stringify(creatorHub)}`);
  await creator.getByTestId("gold-key-saved").waitFor();
  // The job is on the annotators' list.
  assert((await apiGet("/api/hub/jobs")).some((j) => j.id === id), "listed for annotators");
});

await check("creator_reveals_the_gold_key_closes_the_job_and_withdraws_the_refund", async () => {
  const id = creatorHub.id;
  await creator.getByRole("button", { name: "Skip to the reveal phase" }).click();
  await creator.getByRole("button", { name: "Reveal the gold key" }).click();
  await creator.locator(".notice.ok").getByText(/Reveal the gold key .* mined/).waitFor({ timeout: 30_000 });
  await creator.getByTestId("gold-panel").locator(".b-approved").getByText("revealed").waitFor({ timeout: 20_000 });
  assert((await apiGet(`/api/hub/jobs/${id}`)).gold_revealed, "the hub accepted the key: it opened the commitment");
  await creator.getByRole("button", { name: "Skip to the settle phase" }).click();
  await creator.getByRole("button", { name: "Skip past the settle phase" }).click();
  const live = await apiGet(`/api/hub/jobs/${id}`);
  const refund = BigInt(live.escrow_held) + BigInt(live.gold_bond);
  await creator.getByRole("button", { name: "Close job" }).click();
  await creator.locator(".notice.ok").getByText(/Close hub job .* mined/).waitFor({ timeout: 30_000 });
  await creator.getByTestId("creator-credit").getByText(`${lmr(refund)} LMR`).waitFor({ timeout: 20_000 });
  await pageShot(creator, "15-creator-hub-closed");
  const before = (await creator.getByTestId("token-balance").getAttribute("title")).split(" ")[0];
  await creator.getByRole("button", { name: "Withdraw credit" }).click();
  await creator.waitForFunction((b) => document.querySelector('[data-testid="token-balance"]')?.getAttribute("title")?.split(" ")[0] !== b, before, { timeout: 20_000 });
  const after = (await creator.getByTestId("token-balance").getAttribute("title")).split(" ")[0];
  assert(BigInt(after) - BigInt(before) === refund, `the header's LMR rose by escrow + bond: ${before} -> ${after}, refund ${refund}`);
});

await check("hub_annotator_closes_the_seeded_job_and_claims_its_slash_share", async () => {
  await ann.goto(`${base}/#/hub/${hubJob.id}`);
  const end = ann.getByTestId("job-end");
  await end.getByRole("button", { name: "Close job" }).click();
  await end.getByRole("button", { name: "Claim slash share" }).waitFor({ timeout: 30_000 });
  const closed = await apiGet(`/api/hub/jobs/${hubJob.id}`);
  assert(closed.status === "closed", "closed on chain");
  // The gold key of the seeded job was never revealed: its bond joined the slash
  // pool; only the browser annotator settled, so its 5 agreeing labels are all.
  const share = (BigInt(closed.slash_pool) * 5n) / BigInt(closed.agreed_labels);
  assert(closed.agreed_labels === 5 && share === BigInt(hubJob.stake_per_label) / 2n + BigInt(hubJob.reward_per_label) + BigInt(hubJob.arbiter_fee), `pool ${closed.slash_pool}, ${closed.agreed_labels} agreeing labels`);
  await end.getByTestId("slash-share").getByText(`${lmr(share)} LMR`).waitFor();
  await end.getByRole("button", { name: "Claim slash share" }).click();
  await end.getByTestId("slash-claimed").waitFor({ timeout: 30_000 });
  await ann.getByTestId("hub-credit").getByText(`${lmr(share)} LMR`).waitFor({ timeout: 20_000 });
});

await check("creator_publishes_the_consensus_labels_and_the_catalogue_names_the_consensus_job", async () => {
  // The seeded consensus job, closed above, is the dev creator's.
  await creator.setViewportSize({ width: 1440, height: 900 });
  await creator.goto(`${base}/#/creator/hub/${hubJob.id}`);
  const panel = creator.getByTestId("publish-panel");
  await panel.getByRole("button", { name: "Build the package" }).click();
  await panel.getByTestId("package").getByText(/jsonl-chat package/).waitFor({ timeout: 20_000 });
  await panel.getByRole("button", { name: "Publish for 0.01 ETH" }).click();
  await creator.waitForURL(/#\/datasets$/);
  let published;
  for (let tries = 0; !published && tries < 100; tries++) {
    if (tries > 0) await new Promise((r) => setTimeout(r, 200));
    published = (await apiGet("/api/datasets")).find((d) => d.provenance.mode === "consensus" && d.provenance.source_job_id === hubJob.id);
  }
  assert(published, "the catalogue lists a dataset whose source is the consensus job (within 20 s of the publish)");
  assert(published.provenance.source.toLowerCase() === config.hub.toLowerCase(), `its source is the hub: ${JSON.stringify(published.provenance)}`);
  const card = creator.getByTestId(`dataset-${published.id}`);
  await card.getByRole("heading", { name: `Labels of consensus job #${hubJob.id}` }).waitFor({ timeout: 20_000 });
  await card.getByText("staked consensus").waitFor();
  await card.getByRole("link", { name: `consensus #${hubJob.id}` }).waitFor();
  await pageShot(creator, "18-consensus-dataset");
});

/** The workspace's own zgroot.ts, bundled for node. */
async function zgRootOfWorkspace() {
  const out = join(dataDir, "zgroot.mjs");
  await build({ entryPoints: [join(here, "../ui/zgroot.ts")], bundle: true, format: "esm", platform: "node", outfile: out, logLevel: "error" });
  return (await import(out)).zgRoot;
}

await check("workspace_0g_root_matches_the_sdk_vectors", async () => {
  const zgRoot = await zgRootOfWorkspace();
  const { vectors } = JSON.parse(readFileSync(join(repo, "tests/fixtures/zg-roots.json"), "utf8"));
  let n = 0;
  for (const v of vectors) {
    if (!v.root) continue;
    const data = new Uint8Array(v.size);
    for (let i = 0; i < v.size; i++) data[i] = (i * 31 + 7) & 255;
    assert(zgRoot(data) === v.root, `size ${v.size}: ${zgRoot(data)} vs ${v.root}`);
    n++;
  }
  assert(n >= 10, `${n} vectors`);
});

await check("a_fee_change_proposed_through_the_timelock_is_shown_waiting_with_its_call", async () => {
  // The deployer proposes (labelmint-deploy's default governance): a royalty share of 15 %.
  const deployer = accounts.find((a) => a.role === "deployer");
  const wallet = createWalletClient({ account: privateKeyToAccount(deployer.key), chain, transport: http(config.rpc_url) });
  const timelock = parseAbi([
    "function schedule(address target, uint256 value, bytes data, bytes32 predecessor, bytes32 salt, uint256 delay)",
    "function getMinDelay() view returns (uint256)",
  ]);
  const delay = await pub.readContract({ address: config.timelock, abi: timelock, functionName: "getMinDelay" });
  const data = concat(["0x" + keccak256(toHex("setRoyaltyBps(uint16)")).slice(2, 10), toHex(1500n, { size: 32 })]);
  const hash = await wallet.writeContract({ address: config.timelock, abi: timelock, functionName: "schedule", args: [config.registry, 0n, data, `0x${"00".repeat(32)}`, `0x${"00".repeat(32)}`, delay] });
  assert((await pub.waitForTransactionReceipt({ hash, pollingInterval: 200 })).status === "success", "schedule reverted");
  // The server indexes it within a block or two.
  for (let i = 0; i < 80; i++) {
    const g = await apiGet("/api/governance");
    if (g.operations.some((o) => o.calls.some((c) => c.description.startsWith("DatasetRegistry.setRoyaltyBps(uint16)")))) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await creator.setViewportSize({ width: 1440, height: 900 });
  await creator.goto(`${base}/#/`);
  await creator.getByRole("link", { name: "Governance" }).click();
  await creator.waitForURL(/#\/governance$/);
  const row = creator.getByTestId("operation").filter({ hasText: "DatasetRegistry.setRoyaltyBps(uint16)" });
  await row.waitFor({ timeout: 30_000 });
  assert((await row.getAttribute("data-state")) === "waiting", `state ${await row.getAttribute("data-state")}`);
  await row.getByText(/in (2 days|48 h)/).waitFor();
  await creator.getByTestId("min-delay").getByText("2 days").waitFor();
  await pageShot(creator, "19-governance");
});

await check("job_list_shows_a_server_error_and_recovers_by_itself", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  let failures = 0;
  // The first two answers to the job list are a node outage (502), as the server sends it.
  await page.route(/\/api\/jobs\?status=open$/, (route) =>
    failures++ < 2
      ? route.fulfill({ status: 502, contentType: "application/json", body: JSON.stringify({ code: "upstream", message: "the chain node did not answer" }) })
      : route.continue(),
  );
  await page.goto(base + "/");
  await page.getByRole("alert").getByText("the chain node did not answer").waitFor();
  await page.getByRole("link", { name: new RegExp(`Job ${boxJob.id}:`) }).waitFor();
  assert(failures === 3, `${failures} requests for the job list`);
  assert((await page.getByRole("alert").count()) === 0, "the error is still shown after the list loaded");
  await ctx.close();
});

await check("layout_fits_a_tablet_and_pages_log_no_errors", async () => {
  await ann.setViewportSize({ width: 820, height: 1180 });
  await ann.goto(`${base}/#/jobs/${boxJob.id}`);
  await ann.locator(".stage svg image").waitFor();
  const overflow = await ann.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `horizontal overflow of ${overflow}px at 820px`);
  await shot(ann, "10-tablet");
  await ann.goto(`${base}/#/hub/${hubJob.id}`);
  await ann.getByTestId("stake-panel").waitFor();
  const hubOverflow = await ann.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(hubOverflow <= 0, `the consensus job page overflows by ${hubOverflow}px at 820px`);
  await creator.setViewportSize({ width: 820, height: 1180 });
  await creator.goto(`${base}/#/creator/hub/${creatorHub.id}`);
  await creator.getByTestId("gold-panel").waitFor();
  const creatorOverflow = await creator.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(creatorOverflow <= 0, `the creator's consensus job page overflows by ${creatorOverflow}px at 820px`);
  const real = consoleErrors.filter((e) => !/Failed to load resource: the server responded with a status of 40[134]/.test(e));
  assert(real.length === 0, real.join("\n"));
});

await browser.close();
broker.close();
dev.server.kill("SIGTERM");
await new Promise((r) => dev.server.on("exit", r));
rmSync(dataDir, { recursive: true, force: true });
const passed = results.filter((r) => r.ok).length;
console.log(`\nweb e2e: ${((Date.now() - started) / 1000).toFixed(1)} s in all (server ready in ${serverReady.toFixed(1)} s); screenshots in ${shots}`);
console.log(`${passed} passed, ${results.length - passed} failed`);
process.exit(passed === results.length ? 0 : 1);
