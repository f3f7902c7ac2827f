// Creator pages: upload a folder by drag-and-drop, define classes and the
// quality mode, escrow from the wallet; the review queue with each batch's
// shapes drawn over the images, approve / reject per task; status, audit,
// and publishing the finished dataset.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { formatEther, parseEther } from "viem";
import { get, post, type ArbiterTerms, type EventView, type HubJob, type Job, type JobDetail, type PreparedHubJob, type QueuedBatch, type Task } from "./api";
import { Thumb } from "./editor";
import { date, duration, eth, REASONS, sameAddr, SCHEMA_NAMES, unitOf } from "./format";
import { color, fromLabel } from "./shapes";
import { createdHubJob, goldCommitmentOf, linkGoldKey, randomSalt, saveGoldKey } from "./gold";
import { app, errorText, notify, sendAndWait, signPermit } from "./state";
import { useStore } from "./store";
import { Earnings } from "./earnings";
import { Action, Addr, Badge, Eth, Hash, Loading, useLoad } from "./ui";

interface Upload {
  data_root: string;
  kind: "image" | "text";
  tasks: number;
  items: { index: number; path: string; root: string; size: number; width: number | null; height: number | null }[];
}

/** Files of a drop (folders walked) with their relative paths. */
async function droppedFiles(dt: DataTransfer): Promise<File[]> {
  const out: File[] = [];
  const walk = async (entry: any, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const f: File = await new Promise((res, rej) => entry.file(res, rej));
      out.push(new File([f], prefix + f.name, { type: f.type }));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch: any[] = await new Promise((res, rej) => reader.readEntries(res, rej));
        if (!batch.length) break;
        for (const e of batch) await walk(e, prefix + entry.name + "/");
      }
    }
  };
  const entries = [...dt.items].map((i) => (i as any).webkitGetAsEntry?.()).filter(Boolean);
  if (entries.length) for (const e of entries) await walk(e, "");
  else out.push(...dt.files);
  return out;
}

/** Fewest gold tasks the hub takes: 10 % of the tasks, rounded up. */
const minGold = (tasks: number) => Math.ceil(tasks / 10);

/** Fewest revealed labels that can win a task (the hub's rule). */
const fewestWinners = (k: number, quorumBps: number) => Math.max(1, Math.ceil(((Math.floor(k / 2) + 1) * quorumBps) / 10_000));

function num(text: string, what: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${what}: enter a number above 0.`);
  return v;
}

/** Tasks shown per page of the gold picker. */
const GOLD_PAGE = 200;

/** Gold answers from a CSV file: one `task,class` line each (the class by
 * name or index; a header line and blank lines are skipped). Throws on the
 * first bad line, naming it. */
export function parseGoldCsv(text: string, tasks: Set<number>, classes: string[]): Record<number, number> {
  const out: Record<number, number> = {};
  text.split(/\r?\n/).forEach((raw, n) => {
    const line = raw.trim();
    if (!line || (n === 0 && /^task\s*,/i.test(line))) return;
    const [t, c, extra] = line.split(",").map((x) => x.trim());
    const task = Number(t);
    if (extra !== undefined || !/^\d+$/.test(t ?? "") || !tasks.has(task)) throw new Error(`Line ${n + 1}: "${line}" is not "task,class" with a task of this upload.`);
    const byName = classes.indexOf(c ?? "");
    const cls = byName >= 0 ? byName : /^\d+$/.test(c ?? "") ? Number(c) : -1;
    if (cls < 0 || cls >= classes.length) throw new Error(`Line ${n + 1}: "${c}" is not one of the classes (${classes.join(", ")}) or their index.`);
    out[task] = cls;
  });
  return out;
}

/** Tasks of an upload with a gold checkbox and an answer each, 200 a page,
 * or answers imported from a CSV file. */
function GoldPicker(p: { upload: Upload; classes: string[]; gold: Record<number, number>; setGold(g: Record<number, number>): void }) {
  const { upload, classes, gold } = p;
  const [page, setPage] = useState(0);
  const picked = Object.keys(gold).length;
  const need = minGold(upload.tasks);
  const pages = Math.max(1, Math.ceil(upload.items.length / GOLD_PAGE));
  const shown = upload.items.slice(page * GOLD_PAGE, (page + 1) * GOLD_PAGE);
  const importCsv = async (file: File) => {
    try {
      const answers = parseGoldCsv(await file.text(), new Set(upload.items.map((it) => it.index)), classes);
      p.setGold({ ...gold, ...answers });
      const n = Object.keys(answers).length;
      notify("ok", `${n} gold answer${n === 1 ? "" : "s"} imported from ${file.name}.`);
    } catch (e) {
      notify("error", `${file.name}: ${errorText(e)}`);
    }
  };
  return (
    <fieldset class="field gold-picker" data-testid="gold-picker">
      <legend>
        Gold tasks: {picked} picked, at least {need} ({upload.tasks} tasks × 10 %)
      </legend>
      <p class="muted">Gold tasks are hidden checks: you give their answers now, they stay secret (only a commitment goes on chain) until you reveal them after the commit phase. A batch that gets fewer than half of its gold tasks right is paid nothing and loses its stake.</p>
      <label class="field">
        Import answers from a CSV file: one “task,class” line each, the class by name or index
        <input type="file" accept=".csv,text/csv,text/plain" data-testid="gold-csv" onChange={(e) => {
          const f = (e.target as HTMLInputElement).files?.[0];
          if (f) void importCsv(f);
        }} />
      </label>
      {pages > 1 && (
        <p class="gold-pages">
          <button type="button" class="btn small" disabled={page === 0} onClick={() => setPage(page - 1)}>
            ‹ Previous
          </button>
          <span class="muted">
            Tasks {page * GOLD_PAGE}–{Math.min((page + 1) * GOLD_PAGE, upload.items.length) - 1} of {upload.items.length}
          </span>
          <button type="button" class="btn small" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
            Next ›
          </button>
        </p>
      )}
      <ul class="gold-list">
        {shown.map((it) => {
          const on = gold[it.index] !== undefined;
          return (
            <li key={it.index} class={on ? "on" : ""}>
              <label class="check">
                <input
                  type="checkbox"
                  checked={on}
                  aria-label={`Task ${it.index} is gold`}
                  onChange={() => {
                    const g = { ...gold };
                    if (on) delete g[it.index];
                    else g[it.index] = 0;
                    p.setGold(g);
                  }}
                />
                Task {it.index}
              </label>
              {upload.kind === "image" ? <img src={`/api/data/${it.root}`} alt={it.path} width={40} height={40} /> : <TextSnippet root={it.root} />}
              {on && (
                <select aria-label={`Answer of gold task ${it.index}`} value={gold[it.index]} onChange={(e) => p.setGold({ ...gold, [it.index]: Number((e.target as HTMLSelectElement).value) })}>
                  {classes.map((c, i) => (
                    <option key={c} value={i}>
                      {c}
                    </option>
                  ))}
                </select>
              )}
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}

function TextSnippet(p: { root: string }) {
  const t = useLoad(() => fetch(`/api/data/${p.root}`).then((r) => r.text()), [p.root]);
  const text = t.data ?? "…";
  return <span class="snippet muted">{text.length > 90 ? text.slice(0, 90) + "…" : text}</span>;
}

export function CreateJob() {
  const st = useStore(app);
  const [files, setFiles] = useState<File[]>([]);
  const [over, setOver] = useState(false);
  const [upload, setUpload] = useState<Upload | null>(null);
  const [title, setTitle] = useState("");
  const [instructions, setInstructions] = useState("");
  const [classes, setClasses] = useState("cat, dog");
  const [schema, setSchema] = useState("bbox");
  const [mode, setMode] = useState<"review" | "majority">("review");
  const [currency, setCurrency] = useState<"eth" | "lmr">("eth");
  const [reward, setReward] = useState("0.001");
  const [days, setDays] = useState("7");
  const [reviewDays, setReviewDays] = useState("3");
  // Consensus (QualityHub) terms.
  const [k, setK] = useState("3");
  const [stake, setStake] = useState("");
  const [quorum, setQuorum] = useState("50.01");
  const [slash, setSlash] = useState("50");
  const [phaseHours, setPhaseHours] = useState<[string, string, string]>(["24", "24", "24"]);
  const [terms, setTerms] = useState("2");
  const [gold, setGold] = useState<Record<number, number>>({});
  const [difficulty, setDifficulty] = useState("");
  const termsView = useLoad(() => (mode === "majority" && /^\d+$/.test(terms) ? get<ArbiterTerms>(`/api/arbiter-terms/${terms}`) : Promise.resolve(null)), [mode, terms]);

  if (!st.address) return <p class="callout">Connect a wallet and sign in to create a job.</p>;

  const take = (fs: File[]) => {
    const useful = fs.filter((f) => !f.name.split("/").some((p) => p.startsWith(".")));
    setFiles(useful);
    setUpload(null);
    setGold({});
    const images = useful.filter((f) => /\.(png|jpe?g|webp)$/i.test(f.name)).length;
    setSchema(images > 0 && mode === "review" ? "bbox" : "categorical");
    if (images === 0 && classes === "cat, dog") setClasses("negative, positive");
  };
  const pickMode = (m: "review" | "majority") => {
    setMode(m);
    if (m === "majority") {
      // Consensus jobs take one class per item, paid in the RewardToken.
      setSchema("categorical");
      if (reward === "0.001") setReward("0.01");
    }
  };
  const send = async () => {
    const form = new FormData();
    for (const f of files) form.append("file", f, (f as any).webkitRelativePath || f.name);
    const u = await post<Upload>("/api/uploads", form);
    setUpload(u);
    notify("ok", `Uploaded ${u.tasks} ${u.kind} tasks; data root ${u.data_root.slice(0, 10)}…`);
  };
  const names = classes.split(",").map((c) => c.trim()).filter(Boolean);
  // Difficulty classes "end:weight, …" over the upload order (none: every task weighs 1).
  const classesOf = () =>
    difficulty.trim()
      ? difficulty.split(",").map((c) => {
          const [end, weight] = c.split(":").map((x) => Number(x.trim()));
          if (!Number.isInteger(end) || !Number.isInteger(weight)) throw new Error(`Difficulty classes: "end:weight, …", not ${JSON.stringify(c.trim())}.`);
          return { end, weight };
        })
      : undefined;
  // Σ tasks × weight: what the escrow multiplies (the task count when there are no classes or they do not parse).
  const units = (() => {
    const tasks = upload?.tasks ?? files.length;
    try {
      const cs = classesOf();
      if (!cs) return tasks;
      let start = 0;
      let sum = 0;
      for (const c of cs) {
        sum += Math.max(0, c.end - start) * c.weight;
        start = c.end;
      }
      return sum;
    } catch {
      return tasks;
    }
  })();
  const unit = mode === "majority" || currency === "lmr" ? "LMR" : "ETH";
  const create = async () => {
    if (names.length < 2) throw new Error("Give at least two classes.");
    const lmr = currency === "lmr";
    const body: Record<string, unknown> = {
      data_root: upload!.data_root,
      reward_per_task: parseEther(reward).toString(),
      schema,
      classes: names,
      title: title || undefined,
      instructions: instructions || undefined,
      deadline_secs: Math.round(Number(days) * 86400),
      review_secs: Math.round(Number(reviewDays) * 86400),
      difficulty: classesOf(),
    };
    const escrowWei = parseEther(reward) * BigInt(units);
    if (lmr && body.difficulty) throw new Error("Difficulty classes need an ETH escrow.");
    if (lmr) {
      // EIP-2612: the wallet signs a permit for exactly the escrow; the
      // market pulls it in the same transaction (createJobWithPermit).
      body.token = st.config!.token;
      body.permit = await signPermit("market", escrowWei, "Escrow in LMR");
    }
    const prepared = await post(`/api/jobs/prepare`, body);
    await sendAndWait(prepared.tx, `Create job, escrow ${eth(prepared.escrow)} ${lmr ? "LMR (permit)" : "ETH"}`);
    // The indexer sees the job within a block.
    for (let i = 0; i < 40; i++) {
      const mine = await get<Job[]>(`/api/jobs?status=all&creator=${st.address}`);
      const j = mine.find((x) => x.data_root === upload!.data_root && x.metadata_hash === prepared.metadata_hash);
      if (j) {
        location.hash = `#/creator/jobs/${j.id}`;
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    location.hash = "#/creator";
  };
  const createHub = async () => {
    if (names.length < 2) throw new Error("Give at least two classes.");
    const u = upload!;
    const ids = Object.keys(gold).map(Number).sort((a, b) => a - b);
    if (ids.length < minGold(u.tasks)) throw new Error(`Pick at least ${minGold(u.tasks)} gold tasks (10 % of ${u.tasks}) and give their answers.`);
    const labels = ids.map((t) => gold[t]);
    // The gold key is made here and saved (and read back) before anything is sent.
    const me = st.address!;
    const salt = randomSalt();
    const commitment = goldCommitmentOf(me, ids, labels, salt);
    const c = st.config!;
    saveGoldKey({ chainId: c.chain_id, hub: c.hub, creator: me, dataRoot: u.data_root, tasks: ids, labels, salt, commitment, createdAt: Date.now() });
    const body = {
      data_root: u.data_root,
      title: title || undefined,
      instructions: instructions || undefined,
      classes: names,
      reward_per_label: parseEther(reward).toString(),
      replication: Math.round(num(k, "Labels per task")),
      quorum_bps: Math.round(num(quorum, "Majority") * 100),
      stake_per_label: parseEther(stake || stakeSuggestion).toString(),
      slash_bps: Math.round(Number(slash) * 100),
      commit_secs: Math.round(num(phaseHours[0], "Commit phase") * 3600),
      reveal_secs: Math.round(num(phaseHours[1], "Reveal phase") * 3600),
      settle_secs: Math.round(num(phaseHours[2], "Settle phase") * 3600),
      arbiter_terms: Number(terms),
      gold_commitment: commitment,
      gold_tasks: ids.length,
      difficulty: classesOf(),
    };
    let prepared = await post<PreparedHubJob>("/api/creator/hub/jobs", body);
    if (prepared.approval_needed) {
      await sendAndWait(prepared.txs[0], `Approve the hub to take ${eth(prepared.deposit)} LMR`);
      // Asked again now that the allowance is there: the creation is simulated.
      prepared = await post<PreparedHubJob>("/api/creator/hub/jobs", body);
    }
    const r = await sendAndWait(prepared.txs[prepared.txs.length - 1], `Create the consensus job, escrow ${eth(prepared.escrow)} LMR + gold bond ${eth(prepared.gold_bond)} LMR`);
    // The job id is the one the hub's JobCreated log names: never guessed
    // from the data root (a creator may run several jobs over the same data).
    const id = createdHubJob(r.logs, c.hub, me);
    if (id === undefined) throw new Error(`The creation ${r.hash} holds no JobCreated log of the hub: the gold key stays unlinked in this browser.`);
    linkGoldKey(me, commitment, id, r.hash);
    for (let i = 0; i < 40; i++) {
      // Wait until the server has indexed it, so its page opens with it.
      if ((await get<HubJob[]>(`/api/hub/jobs?phase=all&creator=${me}`)).some((x) => x.id === id)) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    location.hash = `#/creator/hub/${id}`;
  };
  const escrow = (() => {
    try {
      return (parseEther(reward || "0") * BigInt(units)).toString();
    } catch {
      return "0";
    }
  })();
  const kN = Number(k) || 3;
  const quorumBps = Math.round((Number(quorum) || 50.01) * 100);
  const heaviest = difficulty.trim() ? Math.max(1, ...difficulty.split(",").map((c) => Number(c.split(":")[1]) || 1)) : 1;
  const stakeSuggestion = (() => {
    try {
      const bounty = parseEther(reward || "0") * BigInt(kN) * BigInt(heaviest);
      const most = bounty / BigInt(fewestWinners(kN, quorumBps));
      return formatEther(most + (bounty % BigInt(fewestWinners(kN, quorumBps)) ? 1n : 0n));
    } catch {
      return "0";
    }
  })();
  const hubEscrow = (() => {
    try {
      return parseEther(reward || "0") * BigInt(kN) * BigInt(upload ? units : 0);
    } catch {
      return 0n;
    }
  })();
  const bond = (() => {
    try {
      return (parseEther(reward || "0") + BigInt(termsView.data?.fee ?? "0")) * BigInt(Object.keys(gold).length);
    } catch {
      return 0n;
    }
  })();
  const images = upload ? upload.kind === "image" : files.some((f) => /\.(png|jpe?g|webp)$/i.test(f.name));
  return (
    <section class="narrow">
      <div class="page-head">
        <h1>Create a job</h1>
        <p class="muted">Upload a folder of images or texts, define the classes and the quality mode, escrow the bounty from your wallet.</p>
      </div>
      <ol class="steps">
        <li>
          <h2>1. Data</h2>
          <div
            class={`drop ${over ? "over" : ""}`}
            onDragOver={(e) => {
              e.preventDefault();
              setOver(true);
            }}
            onDragLeave={() => setOver(false)}
            onDrop={async (e) => {
              e.preventDefault();
              setOver(false);
              take(await droppedFiles(e.dataTransfer!));
            }}
          >
            <p>
              <strong>Drop a folder or files here</strong> (PNG, JPEG, WEBP images; TXT or JSONL texts)
            </p>
            <label class="btn">
              Choose files…
              <input type="file" multiple class="sr-only" aria-label="Choose files to upload" onChange={(e) => take([...((e.target as HTMLInputElement).files ?? [])])} />
            </label>
            {files.length > 0 && (
              <p data-testid="picked">
                {files.length} file{files.length === 1 ? "" : "s"} picked ({Math.round(files.reduce((n, f) => n + f.size, 0) / 1024)} KiB)
              </p>
            )}
          </div>
          <Action run={send} disabled={!files.length || !!upload}>
            Upload {files.length || ""} files
          </Action>
          {upload && (
            <p class="ok-line" data-testid="upload-result">
              ✓ {upload.tasks} {upload.kind} tasks stored · data root <Hash h={upload.data_root} />
            </p>
          )}
          {upload && upload.kind === "image" && mode === "review" && (
            <ul class="thumbs">
              {upload.items.slice(0, 12).map((it) => (
                <li key={it.index}>
                  <img src={`/api/data/${it.root}`} alt={it.path} width={64} height={64} />
                </li>
              ))}
            </ul>
          )}
        </li>
        <li>
          <h2>2. Labels and quality</h2>
          <label class="field">
            Title
            <input value={title} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} placeholder="Box the cats and dogs" />
          </label>
          <label class="field">
            Instructions
            <textarea rows={2} value={instructions} onInput={(e) => setInstructions((e.target as HTMLTextAreaElement).value)} />
          </label>
          <label class="field">
            Classes (comma-separated; annotators press 1–9)
            <input value={classes} onInput={(e) => setClasses((e.target as HTMLInputElement).value)} />
          </label>
          <fieldset class="field">
            <legend>Quality mode</legend>
            <label class="radio">
              <input type="radio" name="mode" checked={mode === "review"} onChange={() => pickMode("review")} /> Creator review — you approve or reject each task; rejections can be disputed before the default arbiter
            </label>
            <label class="radio">
              <input type="radio" name="mode" checked={mode === "majority"} onChange={() => pickMode("majority")} /> Majority with stakes (QualityHub) — k annotators label each item hidden, then reveal; the majority is paid, a disagreeing label loses part of its stake; hidden gold tasks check them
            </label>
          </fieldset>
          <label class="field">
            Annotation
            <select value={schema} onChange={(e) => setSchema((e.target as HTMLSelectElement).value)}>
              {mode === "majority" ? (
                <option value="categorical">One class per {images ? "image" : "text"} (consensus jobs classify)</option>
              ) : images ? (
                <>
                  <option value="bbox">Bounding boxes (and polygons)</option>
                  <option value="polygon">Polygons (and boxes)</option>
                  <option value="categorical">One class per image</option>
                </>
              ) : (
                <>
                  <option value="categorical">Classification (one class per text)</option>
                  <option value="text">Free-text answer</option>
                </>
              )}
            </select>
          </label>
          {mode === "majority" && upload && names.length >= 2 && <GoldPicker upload={upload} classes={names} gold={gold} setGold={setGold} />}
          {mode === "majority" && !upload && <p class="muted">Upload the data first: you pick the gold tasks and their answers among them.</p>}
        </li>
        <li>
          <h2>3. Bounty and escrow</h2>
          {mode === "review" ? (
            <>
              <fieldset class="field">
                <legend>Escrow currency</legend>
                <label class="radio">
                  <input type="radio" name="currency" checked={currency === "eth"} onChange={() => setCurrency("eth")} /> ETH — sent with the transaction
                </label>
                <label class="radio">
                  <input type="radio" name="currency" checked={currency === "lmr"} onChange={() => setCurrency("lmr")} /> RewardToken (LMR) — your wallet signs an EIP-2612 permit for the escrow, no separate approval
                </label>
              </fieldset>
              <div class="row3">
                <label class="field">
                  Reward per task ({unit})
                  <input inputMode="decimal" value={reward} onInput={(e) => setReward((e.target as HTMLInputElement).value)} />
                </label>
                <label class="field">
                  Deadline (days)
                  <input inputMode="numeric" value={days} onInput={(e) => setDays((e.target as HTMLInputElement).value)} />
                </label>
                <label class="field">
                  Review window (days)
                  <input inputMode="numeric" value={reviewDays} onInput={(e) => setReviewDays((e.target as HTMLInputElement).value)} />
                </label>
              </div>
              <label class="field">
                Difficulty classes (optional: "end:weight, …", tasks in upload order; a task of weight w escrows, pays and counts w labels; ETH escrow)
                <input placeholder="e.g. 80:1, 100:4" value={difficulty} onInput={(e) => setDifficulty((e.target as HTMLInputElement).value)} />
              </label>
              <p data-testid="review-escrow">
                Escrow: <Eth wei={escrow} unit={unit} /> ({upload?.tasks ?? files.length} tasks{units !== (upload?.tasks ?? files.length) ? `, ${units} units by weight,` : ""} × {reward} {unit}), locked in the AnnotationMarket until each task is approved or the job is cancelled.
              </p>
              <Action run={create} kind="primary" disabled={!upload}>
                {currency === "lmr" ? "Sign the permit and create the job" : "Escrow and create the job"}
              </Action>
            </>
          ) : (
            <>
              <div class="row3">
                <label class="field">
                  Reward per agreeing label (LMR)
                  <input inputMode="decimal" value={reward} onInput={(e) => setReward((e.target as HTMLInputElement).value)} />
                </label>
                <label class="field">
                  Labels per task (k ≥ 3)
                  <input inputMode="numeric" value={k} onInput={(e) => setK((e.target as HTMLInputElement).value)} />
                </label>
                <label class="field">
                  Stake per label (LMR)
                  <input inputMode="decimal" placeholder={stakeSuggestion} value={stake} onInput={(e) => setStake((e.target as HTMLInputElement).value)} />
                </label>
                <label class="field">
                  Majority (% of revealed labels)
                  <input inputMode="decimal" value={quorum} onInput={(e) => setQuorum((e.target as HTMLInputElement).value)} />
                </label>
                <label class="field">
                  A disagreeing label loses (% of its stake)
                  <input inputMode="decimal" value={slash} onInput={(e) => setSlash((e.target as HTMLInputElement).value)} />
                </label>
                <label class="field">
                  Arbiter terms (id, in LMR)
                  <input inputMode="numeric" value={terms} onInput={(e) => setTerms((e.target as HTMLInputElement).value)} />
                </label>
                {(["Commit", "Reveal", "Settle"] as const).map((name, i) => (
                  <label class="field" key={name}>
                    {name} phase (hours)
                    <input
                      inputMode="decimal"
                      value={phaseHours[i]}
                      onInput={(e) => {
                        const next = [...phaseHours] as [string, string, string];
                        next[i] = (e.target as HTMLInputElement).value;
                        setPhaseHours(next);
                      }}
                    />
                  </label>
                ))}
              </div>
              <label class="field">
                Difficulty classes (optional: "end:weight, …", tasks in upload order; a task of weight w pays and counts w labels)
                <input placeholder="e.g. 4:1, 6:2" value={difficulty} onInput={(e) => setDifficulty((e.target as HTMLInputElement).value)} />
              </label>
              <p class="muted" data-testid="hub-terms">
                Arbiter terms {terms}:{" "}
                {termsView.data ? (
                  <>
                    arbiter <Addr a={termsView.data.arbiter} />, fee {eth(termsView.data.fee)} {sameAddr(termsView.data.token, st.config?.token) ? "LMR" : "(not LMR: the hub refuses them)"} per ruling
                  </>
                ) : (
                  termsView.error ?? "…"
                )}
                . A label's stake must cover the most it can earn: {stakeSuggestion} LMR here.
              </p>
              <p>
                Escrow: <Eth wei={hubEscrow} unit="LMR" /> ({upload?.tasks ?? 0} tasks{upload && units !== upload.tasks ? `, ${units} units by weight,` : ""} × {kN} labels × {reward} LMR) and a gold bond of{" "}
                <Eth wei={bond} unit="LMR" /> (per gold task one reward and one arbiter's fee, returned at close once the key is revealed). The hub takes both from your wallet (an approval first when needed).
              </p>
              <div class="salt-warning" role="note" data-testid="gold-warning">
                <strong>Your gold key stays in this browser.</strong> Creating the job makes a random salt here and saves the key (gold tasks, answers, salt) before any transaction is sent; only its commitment goes on chain. Revealing needs that key in the reveal phase: if it is lost (site data cleared, another browser) the gold bond is forfeited to the annotators when the job closes. Export your keys after creating the job.
              </div>
              <Action run={createHub} kind="primary" disabled={!upload || Object.keys(gold).length < minGold(upload?.tasks ?? 1)}>
                Save the gold key and create the consensus job
              </Action>
            </>
          )}
        </li>
      </ol>
    </section>
  );
}

export function MyJobs() {
  const st = useStore(app);
  const jobs = useLoad(() => (st.address ? get<Job[]>(`/api/jobs?status=all&creator=${st.address}`) : Promise.resolve([])), [st.address, st.tick]);
  const hubJobs = useLoad(() => (st.address && st.config?.hub && !/^0x0+$/.test(st.config.hub) ? get<HubJob[]>(`/api/hub/jobs?phase=all&creator=${st.address}`) : Promise.resolve([])), [st.address, st.tick]);
  if (!st.address) return <p class="callout">Connect a wallet and sign in to see your jobs.</p>;
  if (!jobs.data) return <Loading error={jobs.error} what="your jobs" />;
  return (
    <section>
      <div class="page-head row">
        <div>
          <h1>My jobs</h1>
          <p class="muted">Review incoming batches, follow progress, publish finished datasets.</p>
        </div>
        <a class="btn primary" href="#/create">
          + Create job
        </a>
      </div>
      <Earnings />
      {jobs.data.length === 0 && <p class="empty">You have not created a job yet.</p>}
      <table class="table">
        <thead>
          <tr>
            <th>Job</th>
            <th>Kind</th>
            <th>Status</th>
            <th>Batches</th>
            <th>Approved</th>
            <th>Reward / task</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {jobs.data.map((j) => (
            <tr key={j.id}>
              <td>
                #{j.id} {j.metadata?.title ?? ""}
              </td>
              <td>{SCHEMA_NAMES[j.schema]}</td>
              <td>
                <Badge kind={j.status}>{j.status}</Badge>
              </td>
              <td>{j.batches}</td>
              <td>
                {j.approved}/{j.task_count}
              </td>
              <td>
                <Eth wei={j.reward_per_task} unit={unitOf(j.token)} />
              </td>
              <td>
                <a class="btn small" href={`#/creator/jobs/${j.id}`}>
                  Review
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {(hubJobs.data?.length ?? 0) > 0 && (
        <>
          <h2 class="stake-gap">Consensus jobs (QualityHub)</h2>
          <table class="table" aria-label="Your consensus jobs">
            <thead>
              <tr>
                <th>Job</th>
                <th>Phase</th>
                <th>k</th>
                <th>Batches</th>
                <th>Reward / label</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {hubJobs.data!.map((j) => (
                <tr key={j.id}>
                  <td>
                    hub #{j.id} {j.metadata?.title ?? ""}
                  </td>
                  <td>
                    <Badge kind={`phase-${j.phase}`}>{j.phase}</Badge>
                  </td>
                  <td>{j.replication}</td>
                  <td>
                    {j.revealed}/{j.batches} revealed
                  </td>
                  <td>
                    <Eth wei={j.reward_per_label} unit="LMR" />
                  </td>
                  <td>
                    <a class="btn small" href={`#/creator/hub/${j.id}`}>
                      Manage
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

export function CreatorJob(p: { id: number }) {
  const st = useStore(app);
  const job = useLoad(() => get<JobDetail>(`/api/jobs/${p.id}`), [p.id, st.tick]);
  const queue = useLoad(() => get<QueuedBatch[]>(`/api/jobs/${p.id}/review-queue`), [p.id, st.tick]);
  const tasks = useLoad(() => get<Task[]>(`/api/jobs/${p.id}/tasks?limit=500`), [p.id, st.tick]);
  const events = useLoad(() => get<EventView[]>(`/api/jobs/${p.id}/events`), [p.id, st.tick]);
  const [tab, setTab] = useState<"queue" | "status" | "publish">("queue");
  const j = job.data;
  if (!j) return <Loading error={job.error} what="the job" />;
  const mine = sameAddr(j.creator, st.address);
  const counts = (tasks.data ?? []).reduce<Record<string, number>>((m, t) => ((m[t.state] = (m[t.state] ?? 0) + 1), m), {});
  return (
    <section>
      <div class="page-head row">
        <div>
          <p class="crumbs">
            <a href="#/creator">My jobs</a> › #{j.id}
          </p>
          <h1>{j.metadata?.title ?? `Job ${j.id}`}</h1>
          <p class="muted">
            {SCHEMA_NAMES[j.schema]} · {j.task_count} tasks · <Eth wei={j.reward_per_task} unit={unitOf(j.token)} /> per task · creator <Addr a={j.creator} me={st.address} />
          </p>
        </div>
        <dl class="facts wide">
          <div>
            <dt>Status</dt>
            <dd>
              <Badge kind={j.status}>{j.status}</Badge>
            </dd>
          </div>
          <div>
            <dt>Approved</dt>
            <dd>
              {j.approved}/{j.task_count}
            </dd>
          </div>
          <div>
            <dt>Escrow held</dt>
            <dd>
              <Eth wei={j.escrow_held} unit={unitOf(j.token)} />
            </dd>
          </div>
          <div>
            <dt>Review window</dt>
            <dd>{duration(j.review_window)}</dd>
          </div>
        </dl>
      </div>
      <div class="tabs" role="tablist">
        {(
          [
            ["queue", `Review queue (${queue.data?.length ?? "…"})`],
            ["status", "Status & audit"],
            ["publish", "Publish"],
          ] as const
        ).map(([t, name]) => (
          <button key={t} role="tab" type="button" aria-selected={tab === t} class={`tab ${tab === t ? "on" : ""}`} onClick={() => setTab(t)}>
            {name}
          </button>
        ))}
      </div>
      {tab === "queue" &&
        (!queue.data ? (
          <Loading error={queue.error} what="the review queue" />
        ) : queue.data.length === 0 ? (
          <p class="empty">No batches waiting for review.</p>
        ) : (
          queue.data.map((b) => <ReviewBatch key={b.batch_id} job={j} batch={b} tasks={tasks.data ?? []} canReview={mine} />)
        ))}
      {tab === "status" && <Status job={j} counts={counts} events={events.data ?? []} />}
      {tab === "publish" && <Publish job={j} canPublish={mine} />}
    </section>
  );
}

function ReviewBatch(p: { job: JobDetail; batch: QueuedBatch; tasks: Task[]; canReview: boolean }) {
  const { job, batch } = p;
  const classes = job.metadata?.classes ?? [];
  const [verdicts, setVerdicts] = useState<Record<number, number>>({});
  const rejecting = Object.values(verdicts).filter((v) => v !== 0).length;
  const submit = async () => {
    const list = batch.labels.map((l) => verdicts[l.task] ?? 0);
    const tx = await post(`/api/jobs/${job.id}/review/prepare`, {
      batches: [{ batch_id: batch.batch_id, verdicts: list.some((v) => v) ? list : [] }],
    });
    await sendAndWait(tx, `Review of batch ${batch.batch_id} (${list.length - rejecting} approved, ${rejecting} rejected)`);
  };
  return (
    <article class="review-batch" aria-label={`Batch ${batch.batch_id}`}>
      <header>
        <h2>Batch {batch.batch_id}</h2>
        <span class="muted">
          by <Addr a={batch.annotator} /> · {batch.labels.length} tasks · submitted {date(batch.submitted_at)} · review by {date(batch.review_ends)}
        </span>
        {batch.verified ? <Badge kind="ok" title="The labels match the on-chain commitment">verified</Badge> : <Badge kind="failed">unverified</Badge>}
        <Hash h={batch.tx_hash} label="tx" />
      </header>
      <ul class="review-grid">
        {batch.labels.map((l) => {
          const t = p.tasks.find((x) => x.index === l.task);
          const v = verdicts[l.task] ?? 0;
          const items = fromLabel(l.label);
          return (
            <li key={l.task} class={`review-item ${v ? "rej" : "app"}`} data-testid={`review-task-${l.task}`}>
              {t?.width ? (
                <Thumb src={l.url ?? t.url} width={t.width} height={t.height ?? t.width} items={items} classes={classes} label={`Task ${l.task}: ${items.length} shapes`} />
              ) : (
                <TextItem url={l.url ?? t?.url ?? ""} />
              )}
              <div class="review-meta">
                <strong>Task {l.task}</strong>
                {typeof l.label?.class === "number" && (
                  <span class="chip" style={{ borderColor: color(l.label.class) }}>
                    {l.label.name ?? classes[l.label.class]}
                  </span>
                )}
                {items.length > 0 && (
                  <span class="muted">
                    {items.filter((i) => i.kind === "box").length} boxes, {items.filter((i) => i.kind === "poly").length} polygons
                  </span>
                )}
              </div>
              {p.canReview && (
                <div class="verdict" role="group" aria-label={`Verdict for task ${l.task}`}>
                  <button type="button" class={`btn small ${v === 0 ? "on-ok" : ""}`} aria-pressed={v === 0} onClick={() => setVerdicts({ ...verdicts, [l.task]: 0 })}>
                    ✓ Approve
                  </button>
                  <button type="button" class={`btn small ${v !== 0 ? "on-bad" : ""}`} aria-pressed={v !== 0} onClick={() => setVerdicts({ ...verdicts, [l.task]: v || 1 })}>
                    ✕ Reject
                  </button>
                  {v !== 0 && (
                    <select aria-label={`Reason for rejecting task ${l.task}`} value={v} onChange={(e) => setVerdicts({ ...verdicts, [l.task]: Number((e.target as HTMLSelectElement).value) })}>
                      {Object.entries(REASONS).map(([k, r]) => (
                        <option key={k} value={k}>
                          {r}
                        </option>
                      ))}
                    </select>
                  )}
                </div>
              )}
            </li>
          );
        })}
      </ul>
      {p.canReview ? (
        <footer class="review-foot">
          <p class="muted">
            Approving pays <Eth wei={(BigInt(job.reward_per_task) * BigInt(batch.labels.length - rejecting)).toString()} unit={unitOf(job.token)} /> at once.
            {rejecting > 0 && (
              <>
                {" "}
                Rejecting deposits the arbiter's fee (<Eth wei={job.arbiter_fee} unit={unitOf(job.token)} />); the annotator may dispute within {duration(job.dispute_window)}.
              </>
            )}
          </p>
          <Action run={submit} kind="primary">
            Submit review: {batch.labels.length - rejecting} approve, {rejecting} reject
          </Action>
        </footer>
      ) : (
        <p class="muted">Only the job's creator reviews before the window ends.</p>
      )}
    </article>
  );
}

function TextItem(p: { url: string }) {
  const t = useLoad(() => fetch(p.url).then((r) => r.text()), [p.url]);
  return <blockquote class="review-text">{t.data ?? "…"}</blockquote>;
}

function Status(p: { job: JobDetail; counts: Record<string, number>; events: EventView[] }) {
  const audit = useLoad(() => get<any>(`/api/jobs/${p.job.id}/audit`), [p.job.id, p.events.length]);
  const order = ["free", "claimed", "submitted", "approved", "rejected"];
  const total = p.job.task_count;
  return (
    <div class="status-grid">
      <section class="panel">
        <h2>Tasks</h2>
        <div class="bar" role="img" aria-label={order.map((k) => `${k} ${p.counts[k] ?? 0}`).join(", ")}>
          {order.map((k) =>
            (p.counts[k] ?? (k === "free" ? total - Object.values(p.counts).reduce((a, b) => a + b, 0) : 0)) > 0 ? (
              <span key={k} class={`seg s-${k}`} style={{ flex: p.counts[k] ?? total - Object.values(p.counts).reduce((a, b) => a + b, 0) }} />
            ) : null,
          )}
        </div>
        <ul class="legend">
          {order.map((k) => (
            <li key={k}>
              <span class={`dot s-${k}`} /> {k}: {k === "free" ? total - Object.entries(p.counts).filter(([x]) => x !== "free").reduce((a, [, b]) => a + b, 0) : p.counts[k] ?? 0}
            </li>
          ))}
        </ul>
      </section>
      <section class="panel">
        <h2>Audit report</h2>
        {!audit.data ? (
          <Loading error={audit.error} what="the audit" />
        ) : (
          <>
            <p>
              Verdict: <Badge kind={audit.data.verdict === "accept" || audit.data.accepted ? "ok" : "pending"}>{String(audit.data.verdict ?? (audit.data.accepted ? "accept" : "review"))}</Badge>
            </p>
            <p class="muted">
              {audit.data.findings?.length ?? 0} findings · {audit.data.batches ?? p.job.batches} batches
            </p>
            <details>
              <summary>Full report (JSON)</summary>
              <pre class="json">{JSON.stringify(audit.data, null, 2)}</pre>
            </details>
          </>
        )}
      </section>
      <section class="panel span2">
        <h2>On-chain history</h2>
        <ol class="timeline">
          {p.events.map((e) => (
            <li key={e.id}>
              <strong>{e.name}</strong> <span class="muted">block {e.block} · {date(e.block_time)}</span> <Hash h={e.tx_hash} />
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}

function Publish(p: { job: JobDetail; canPublish: boolean }) {
  const settled = p.job.status === "completed" || (p.job.status === "cancelled" && p.job.reserved === 0);
  return (
    <PublishPanel
      source="market"
      jobId={p.job.id}
      packagePath={`/api/jobs/${p.job.id}/package`}
      settled={settled}
      canPublish={p.canPublish}
      what={`every approved label (${p.job.schema === "categorical" && !p.job.metadata?.schema?.startsWith("b") ? "JSONL for texts" : "COCO JSON with the images"})`}
      unsettled={
        <>
          The registry accepts a dataset once its job is settled: completed (every task approved) or cancelled with nothing reserved. This job is <strong>{p.job.status}</strong> with {p.job.approved}/{p.job.task_count} approved.
        </>
      }
      shares="their approved tasks"
    />
  );
}

/** Packaging and publishing a settled job's labels as a dataset: the
 * server builds the package, the creator's wallet sends `publish` with the
 * job's program (`source`) as provenance. */
export function PublishPanel(p: {
  source: "market" | "hub";
  jobId: number;
  packagePath: string;
  settled: boolean;
  canPublish: boolean;
  what: string;
  unsettled: ComponentChildren;
  shares: string;
}) {
  const [pkg, setPkg] = useState<{ root: string; size: number; format: string; tasks: number; labels: number } | null>(null);
  const st = useStore(app);
  const [price, setPrice] = useState("0.01");
  const [currency, setCurrency] = useState<"eth" | "lmr">("eth");
  const build = async () => {
    setPkg(await post(p.packagePath, {}));
  };
  const publish = async () => {
    const tx = await post(`/api/datasets/prepare`, {
      root: pkg!.root,
      job_id: p.jobId,
      source: p.source,
      format: pkg!.format,
      price: parseEther(price).toString(),
      payment_token: currency === "lmr" ? st.config!.token : undefined,
    });
    await sendAndWait(tx, "Publish the dataset");
    location.hash = "#/datasets";
  };
  return (
    <section class="panel narrow" aria-labelledby={`publish-title-${p.source}`} data-testid="publish-panel">
      <h2 id={`publish-title-${p.source}`}>Publish the dataset</h2>
      {!p.settled && <p class="callout">{p.unsettled}</p>}
      <p class="muted">
        The server packages {p.what} into a deterministic ZIP whose 0G root is what the registry records; buyers' downloads are checked against it.
      </p>
      <Action run={build} disabled={!p.canPublish}>
        Build the package
      </Action>
      {pkg && (
        <>
          <p class="ok-line" data-testid="package">
            ✓ {pkg.format} package, {pkg.tasks} tasks, {pkg.labels} labels, {Math.round(pkg.size / 1024)} KiB · root <Hash h={pkg.root} />
          </p>
          <fieldset class="field">
            <legend>Licence currency</legend>
            <label class="radio">
              <input type="radio" name={`price-currency-${p.source}`} checked={currency === "eth"} onChange={() => setCurrency("eth")} /> ETH
            </label>
            <label class="radio">
              <input type="radio" name={`price-currency-${p.source}`} checked={currency === "lmr"} onChange={() => setCurrency("lmr")} /> RewardToken (LMR) — buyers pay with a signed permit
            </label>
          </fieldset>
          <label class="field">
            Licence price ({currency === "lmr" ? "LMR" : "ETH"})
            <input inputMode="decimal" value={price} onInput={(e) => setPrice((e.target as HTMLInputElement).value)} />
          </label>
          <p class="muted">Each sale pays a royalty share to the annotators pro rata to {p.shares}; the rest is yours.</p>
          <Action run={publish} kind="primary" disabled={!p.settled || !p.canPublish}>
            Publish for {price} {currency === "lmr" ? "LMR" : "ETH"}
          </Action>
        </>
      )}
    </section>
  );
}

