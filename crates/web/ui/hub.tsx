// QualityHub consensus jobs for annotators: the job cards, and a job's page
// with stake management, labelling with the class tools, commit (the salt is
// made and kept in this browser, saved before the transaction is sent, and
// can be exported), reveal reminders, per-batch status and the credit.
import { useEffect, useRef, useState } from "preact/hooks";
import { encodePacked, formatEther, keccak256, parseEther, toHex, type Hex } from "viem";
import { get, post, type HubBatch, type HubJob, type HubJobDetail, type HubTask, type MyHubBatches, type StakeView, type UnsignedTx } from "./api";
import { date, duration, eth, sameAddr } from "./format";
import { color } from "./shapes";
import { app, notify, sendAndWait } from "./state";
import { useStore } from "./store";
import { Action, Badge, Eth, Hash, Loading, useLoad } from "./ui";

export const PHASE_TEXT: Record<string, string> = {
  commit: "Commit phase",
  reveal: "Reveal phase",
  settle: "Settle phase",
  closed: "Closed",
};

export const LMR = (wei: string | bigint) => <Eth wei={wei} unit="LMR" />;

export function classNames(j: HubJob): string[] {
  const named = j.metadata?.classes ?? [];
  return Array.from({ length: j.num_classes }, (_, i) => named[i] ?? `class ${i + 1}`);
}

/** The consensus jobs, as cards (shown on the job list). */
export function HubJobCards() {
  const st = useStore(app);
  const { data } = useLoad(() => get<HubJob[]>("/api/hub/jobs"), [st.tick]);
  if (!data || data.length === 0) return null;
  return (
    <section class="hub-cards" aria-labelledby="hub-jobs-title">
      <div class="page-head">
        <h2 id="hub-jobs-title">Consensus jobs (QualityHub)</h2>
        <p class="muted">Stake, label, commit your labels hidden, reveal them later: the revealed majority is paid, a disagreeing label loses part of its stake.</p>
      </div>
      <ul class="cards" aria-label="Consensus jobs">
        {data.map((j) => (
          <li key={j.id} class="card job-card">
            <a href={`#/hub/${j.id}`} class="card-link" aria-label={`Consensus job ${j.id}: ${j.metadata?.title ?? "untitled"}`}>
              <div class="card-top">
                <Badge kind="hub">Consensus · k = {j.replication}</Badge>
                <Badge kind={`phase-${j.phase}`}>{PHASE_TEXT[j.phase]}</Badge>
              </div>
              <h2>{j.metadata?.title ?? `Hub job ${j.id}`}</h2>
              <p class="bounty">
                {LMR(j.reward_per_label)} <span class="muted">per agreeing label</span>
              </p>
              <dl class="facts">
                <div>
                  <dt>Tasks</dt>
                  <dd>{j.task_count}</dd>
                </div>
                <div>
                  <dt>Stake / label</dt>
                  <dd>{LMR(j.stake_per_label)}</dd>
                </div>
                <div>
                  <dt>Commits close</dt>
                  <dd>{date(j.commit_end)}</dd>
                </div>
                <div>
                  <dt>Gold rate</dt>
                  <dd>{(j.gold_rate_bps / 100).toFixed(1)} %</dd>
                </div>
              </dl>
              <p class="classes">
                {classNames(j).map((c, i) => (
                  <span class="chip" key={c} style={{ borderColor: color(i) }}>
                    {c}
                  </span>
                ))}
              </p>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

// ---- salts: made here, kept here -------------------------------------------

/** What revealing a batch needs, kept in this browser only. */
export interface SaltEntry {
  chainId: number;
  hub: string;
  job: number;
  annotator: string;
  tasks: number[];
  labels: number[];
  salt: Hex;
  commitment: Hex;
  createdAt: number;
  txHash?: string;
}

function saltKey(annotator: string): string {
  const c = app.get().config!;
  return `labelmint:hub-salts:${c.chain_id}:${c.hub.toLowerCase()}:${annotator.toLowerCase()}`;
}

export function loadSalts(annotator: string): SaltEntry[] {
  try {
    return JSON.parse(localStorage.getItem(saltKey(annotator)) ?? "{}").entries ?? [];
  } catch {
    return [];
  }
}

function storeSalts(annotator: string, entries: SaltEntry[]) {
  localStorage.setItem(saltKey(annotator), JSON.stringify({ v: 1, entries }));
}

/** Saves `e` and reads it back: a salt that is not stored must not be committed. */
function saveSalt(e: SaltEntry) {
  const others = loadSalts(e.annotator).filter((x) => x.commitment.toLowerCase() !== e.commitment.toLowerCase());
  storeSalts(e.annotator, [...others, e]);
  if (!loadSalts(e.annotator).some((x) => x.commitment === e.commitment && x.salt === e.salt)) {
    throw new Error("This browser did not keep the salt (storage full or disabled): nothing was committed.");
  }
}

function findSalt(annotator: string, commitment: string): SaltEntry | undefined {
  return loadSalts(annotator).find((e) => e.commitment.toLowerCase() === commitment.toLowerCase());
}

/** `keccak256(jobId ‖ annotator ‖ labels ‖ salt)`, as the hub checks it. */
export function commitmentOf(job: number, annotator: string, labels: number[], salt: Hex): Hex {
  return keccak256(encodePacked(["uint256", "address", "bytes", "bytes32"], [BigInt(job), annotator as Hex, toHex(Uint8Array.from(labels)), salt]));
}

function randomSalt(): Hex {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return toHex(b);
}

function downloadSalts(annotator: string) {
  const c = app.get().config!;
  const file = {
    what: "labelmint QualityHub salts: reveal needs them; keep this file private until the reveals are done",
    chain_id: c.chain_id,
    hub: c.hub,
    annotator,
    exported_at: new Date().toISOString(),
    entries: loadSalts(annotator),
  };
  const url = URL.createObjectURL(new Blob([JSON.stringify(file, null, 2)], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = `labelmint-salts-${c.chain_id}-${annotator.slice(0, 10).toLowerCase()}.json`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

async function importSalts(annotator: string, file: File): Promise<number> {
  const data = JSON.parse(await file.text());
  const entries: SaltEntry[] = (data.entries ?? []).filter((e: SaltEntry) => sameAddr(e.annotator, annotator) && /^0x[0-9a-fA-F]{64}$/.test(e.salt));
  const have = loadSalts(annotator);
  const fresh = entries.filter((e) => !have.some((h) => h.commitment.toLowerCase() === e.commitment.toLowerCase()));
  storeSalts(annotator, [...have, ...fresh]);
  return fresh.length;
}

// ---- drafts ---------------------------------------------------------------

const draftKey = (job: number, addr: string) => {
  const c = app.get().config!;
  return `labelmint:hub-draft:${c.chain_id}:${c.hub.toLowerCase()}:${job}:${addr.toLowerCase()}`;
};
function loadDraft(job: number, addr: string): Record<number, number> {
  try {
    return JSON.parse(localStorage.getItem(draftKey(job, addr)) ?? "{}").labels ?? {};
  } catch {
    return {};
  }
}

// ---- the page -------------------------------------------------------------

/** Sends prepared transactions in order, waiting for each. */
async function sendAll(txs: UnsignedTx[], what: (tx: UnsignedTx) => string) {
  for (const tx of txs) await sendAndWait(tx, what(tx));
}

function lmrInput(text: string): bigint {
  const v = parseEther(text.trim() as `${number}`);
  if (v <= 0n) throw new Error("Enter an amount above 0.");
  return v;
}

export function HubJobPage(p: { id: number }) {
  const st = useStore(app);
  const me = st.address;
  const [poll, setPoll] = useState(0);
  useEffect(() => {
    // Phases follow the chain's clock, not events: look again every few seconds.
    const t = setInterval(() => document.visibilityState === "visible" && setPoll((n) => n + 1), 4000);
    return () => clearInterval(t);
  }, []);
  const job = useLoad(() => get<HubJobDetail>(`/api/hub/jobs/${p.id}`), [p.id, st.tick, poll]);
  const tasks = useLoad(() => get<HubTask[]>(`/api/hub/jobs/${p.id}/tasks?limit=500`), [p.id, st.tick, poll]);
  const mine = useLoad(() => (me ? get<MyHubBatches>(`/api/hub/jobs/${p.id}/batches`) : Promise.resolve(null)), [p.id, me, st.tick, poll]);
  const stake = useLoad(() => (me ? get<StakeView>("/api/hub/stake") : Promise.resolve(null)), [me, st.tick, poll]);
  const reload = () => {
    job.reload();
    tasks.reload();
    mine.reload();
    stake.reload();
  };
  const j = job.data;
  if (!j || !tasks.data) return <Loading error={job.error ?? tasks.error} what="the consensus job" />;
  const classes = classNames(j);
  const batches = mine.data?.batches ?? [];
  const unrevealed = batches.filter((b) => b.status === "committed");
  const labelled = new Set(batches.flatMap((b) => b.tasks));
  const openTasks = j.phase === "commit" ? tasks.data.filter((t) => !labelled.has(t.index) && !t.full).length : 0;
  return (
    <section class="workspace hub">
      <div class="page-head row">
        <div>
          <p class="crumbs">
            <a href="#/">Jobs</a> › consensus job #{j.id}
          </p>
          <h1>{j.metadata?.title ?? `Hub job ${j.id}`}</h1>
          {j.metadata?.instructions && <p class="muted">{j.metadata.instructions}</p>}
          <p>
            <Badge kind={`phase-${j.phase}`}>{PHASE_TEXT[j.phase]}</Badge> <PhaseClock j={j} />
          </p>
        </div>
        <dl class="facts wide" aria-label="Job terms">
          <div>
            <dt>Bounty per label</dt>
            <dd>{LMR(j.reward_per_label)}</dd>
          </div>
          <div>
            <dt>Labels per task (k)</dt>
            <dd>{j.replication}</dd>
          </div>
          <div>
            <dt>Stake per label</dt>
            <dd>{LMR(j.stake_per_label)}</dd>
          </div>
          <div>
            <dt>Majority</dt>
            <dd>
              ≥ {(j.quorum_bps / 100).toFixed(2)} % of revealed, {j.min_winning_labels}+ labels
            </dd>
          </div>
          <div>
            <dt>Disagreeing label loses</dt>
            <dd>{j.slash_bps / 100} % of its stake</dd>
          </div>
          <div>
            <dt>Gold rate</dt>
            <dd>
              {(j.gold_rate_bps / 100).toFixed(1)} % ({j.gold_tasks} hidden, {j.gold_revealed ? "revealed" : "not revealed"})
            </dd>
          </div>
          <div>
            <dt>Commits close</dt>
            <dd>{date(j.commit_end)}</dd>
          </div>
          <div>
            <dt>Reveals close</dt>
            <dd>{date(j.reveal_end)}</dd>
          </div>
          <div>
            <dt>Settling ends</dt>
            <dd>{date(j.settle_end)}</dd>
          </div>
        </dl>
      </div>
      {!me ? (
        <p class="callout">Connect a wallet and sign in to stake and label this job.</p>
      ) : (
        <>
          <RevealReminder j={j} unrevealed={unrevealed} me={me} onDone={reload} />
          <div class="hub-grid">
            <div class="hub-main">
              {j.phase === "commit" ? (
                <Labelling j={j} tasks={tasks.data} batches={batches} stake={stake.data} classes={classes} me={me} onCommitted={reload} />
              ) : (
                <p class="empty">The commit phase is over: no more labels for this job. {j.phase === "reveal" ? "Reveal what you committed." : ""}</p>
              )}
              <JobEnd j={j} record={mine.data?.record ?? null} onChange={reload} />
              <Batches j={j} tasks={tasks.data} batches={batches} classes={classes} me={me} onChange={reload} />
            </div>
            <aside class="hub-side">
              <StakePanel j={j} s={stake.data} error={stake.error} openTasks={openTasks} onChange={reload} />
              <SaltsPanel me={me} />
              {st.config?.dev && <DevClock j={j} onMoved={reload} />}
            </aside>
          </div>
        </>
      )}
    </section>
  );
}

export /** After the settle phase: close the job (anyone may), then claim the
 * annotator's share of the slash pool. */
function JobEnd(p: { j: HubJobDetail; record: MyHubBatches["record"] | null; onChange(): void }) {
  const { j, record } = p;
  if (j.phase !== "closed") return null;
  const close = async () => {
    const tx = await post<UnsignedTx>(`/api/hub/jobs/${j.id}/close/prepare`);
    await sendAndWait(tx, `Close hub job ${j.id}`);
    p.onChange();
  };
  const claim = async () => {
    const tx = await post<UnsignedTx>(`/api/hub/jobs/${j.id}/slash-share/prepare`);
    await sendAndWait(tx, "Claim the slash-pool share");
    p.onChange();
  };
  const share = record && j.agreed_labels > 0 ? (BigInt(j.slash_pool) * BigInt(record.agreed)) / BigInt(j.agreed_labels) : 0n;
  return (
    <section class="panel job-end" aria-labelledby="job-end-title" data-testid="job-end">
      <h2 id="job-end-title">The job is over</h2>
      {j.status === "open" ? (
        <>
          <p>
            The settle phase has ended. Closing credits the creator what is left of the escrow and the gold bond (a bond whose key was never revealed goes to the slash pool instead), and opens the slash pool to the agreeing labels. Anyone may close it; batches left unsettled keep their stake locked.
          </p>
          <Action run={close}>Close job</Action>
        </>
      ) : (
        <>
          <p>
            Closed. Slash pool: <span data-testid="slash-pool">{LMR(j.slash_pool)}</span>, shared pro rata by the {j.agreed_labels} agreeing labels.
          </p>
          {record && record.agreed > 0 ? (
            record.claimed ? (
              <p data-testid="slash-claimed">Your share is claimed and credited.</p>
            ) : (
              <>
                <p>
                  Your {record.agreed} agreeing label{record.agreed === 1 ? "" : "s"}: <strong data-testid="slash-share">{LMR(share)}</strong>.
                </p>
                <Action run={claim} kind="primary">
                  Claim slash share
                </Action>
              </>
            )
          ) : (
            <p class="muted">You have no agreeing labels in this job: no share of its slash pool.</p>
          )}
        </>
      )}
    </section>
  );
}

export function PhaseClock(p: { j: HubJobDetail }) {
  const { j } = p;
  const [end, what] = j.phase === "commit" ? [j.commit_end, "commits close"] : j.phase === "reveal" ? [j.reveal_end, "reveals close"] : j.phase === "settle" ? [j.settle_end, "settling ends"] : [0, ""];
  if (!end) return <span class="muted">The job is over.</span>;
  return (
    <span class="muted" data-testid="phase-clock">
      {duration(end - j.now)} until {what} (chain time)
    </span>
  );
}

/** The reminder: unrevealed commits while reveals are open (or about to open). */
function RevealReminder(p: { j: HubJobDetail; unrevealed: HubBatch[]; me: string; onDone(): void }) {
  const { j, unrevealed, me } = p;
  if (unrevealed.length === 0 || (j.phase !== "reveal" && j.phase !== "commit")) return null;
  const atStake = unrevealed.reduce((s, b) => s + BigInt(b.locked), 0n);
  if (j.phase === "commit") {
    return (
      <div class="reminder soon" role="status" data-testid="reveal-reminder">
        <strong>Reveal reminder:</strong> {unrevealed.length} committed batch{unrevealed.length === 1 ? "" : "es"} to reveal between {date(j.commit_end)} and {date(j.reveal_end)}. Come back then — the salts stay in this browser.
      </div>
    );
  }
  const reveal = async (b: HubBatch) => {
    const e = findSalt(me, b.commitment);
    if (!e) throw new Error(`The salt of batch ${b.batch_id} is not in this browser: import your salts file first.`);
    const tx = await post<UnsignedTx>(`/api/hub/jobs/${j.id}/reveal/prepare`, { batch_id: b.batch_id, labels: e.labels, salt: e.salt });
    await sendAndWait(tx, `Reveal of batch ${b.batch_id}`);
    p.onDone();
  };
  return (
    <section class="reminder due" role="alert" aria-labelledby="reveal-reminder-title" data-testid="reveal-reminder">
      <h2 id="reveal-reminder-title">
        Reveal {unrevealed.length} batch{unrevealed.length === 1 ? "" : "es"} before {date(j.reveal_end)} ({duration(j.reveal_end - j.now)} left)
      </h2>
      <p>
        An unrevealed batch loses its whole stake ({LMR(atStake)} here) and earns nothing. Revealing publishes your labels with the salt saved in this browser.
      </p>
      <div class="actions">
        {unrevealed.map((b) => {
          const has = !!findSalt(me, b.commitment);
          return (
            <Action key={b.batch_id} run={() => reveal(b)} kind="primary" disabled={!has} title={has ? "" : "No salt for this batch in this browser"}>
              Reveal batch {b.batch_id} ({b.tasks.length} labels){has ? "" : " — salt missing"}
            </Action>
          );
        })}
      </div>
    </section>
  );
}

function Labelling(p: { j: HubJobDetail; tasks: HubTask[]; batches: HubBatch[]; stake: StakeView | null; classes: string[]; me: string; onCommitted(): void }) {
  const { j, classes, me } = p;
  const mineTasks = new Set(p.batches.flatMap((b) => b.tasks));
  const open = p.tasks.filter((t) => !mineTasks.has(t.index) && !t.full);
  const [labels, setLabels] = useState<Record<number, number>>({});
  const [current, setCurrent] = useState<number | null>(null);
  const [text, setText] = useState<Record<number, string>>({});
  const labelsRef = useRef(labels);
  useEffect(() => {
    const d = loadDraft(j.id, me);
    labelsRef.current = d;
    setLabels(d);
  }, [j.id, me]);
  const put = (next: Record<number, number>) => {
    labelsRef.current = next;
    setLabels(next);
    localStorage.setItem(draftKey(j.id, me), JSON.stringify({ v: 1, labels: next }));
  };
  const cur = open.find((t) => t.index === current) ?? open[0] ?? null;
  const isImage = j.kind === "image" || (cur?.width ?? 0) > 0;
  useEffect(() => {
    if (!cur || isImage || text[cur.index] !== undefined) return;
    fetch(cur.url)
      .then((r) => r.text())
      .then((t) => setText((x) => ({ ...x, [cur.index]: t })));
  }, [cur?.index, isImage]);
  const pick = (c: number) => {
    if (!cur) return;
    put({ ...labelsRef.current, [cur.index]: c });
    const i = open.findIndex((t) => t.index === cur.index);
    if (i >= 0 && i + 1 < open.length) setCurrent(open[i + 1].index);
  };
  const step = (d: number) => {
    if (!cur) return;
    const n = open[open.findIndex((t) => t.index === cur.index) + d];
    if (n) setCurrent(n.index);
  };
  const onKey = useRef<(e: KeyboardEvent) => void>(() => {});
  onKey.current = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement || e.ctrlKey || e.metaKey || e.altKey) return;
    if (/^[1-9]$/.test(e.key) && Number(e.key) <= classes.length) pick(Number(e.key) - 1);
    else if (e.key === "]" || e.key === "n") step(1);
    else if (e.key === "[") step(-1);
  };
  useEffect(() => {
    const key = (e: KeyboardEvent) => onKey.current(e);
    window.addEventListener("keydown", key);
    return () => window.removeEventListener("keydown", key);
  }, []);

  const done = open.filter((t) => labels[t.index] !== undefined).sort((a, b) => a.index - b.index);
  const needed = BigInt(j.stake_per_label) * BigInt(done.length);
  const free = BigInt(p.stake?.free ?? "0");
  const short = needed > free ? needed - free : 0n;

  const commit = async () => {
    const wallet = app.get().wallet;
    if (!wallet) throw new Error("Connect your wallet first.");
    const ids = done.map((t) => t.index);
    const ls = ids.map((i) => labelsRef.current[i]);
    const salt = randomSalt();
    const commitment = commitmentOf(j.id, me, ls, salt);
    const c = app.get().config!;
    // The salt is stored (and read back) before anything leaves the page.
    saveSalt({ chainId: c.chain_id, hub: c.hub, job: j.id, annotator: me, tasks: ids, labels: ls, salt, commitment, createdAt: Date.now() });
    const tx = await post<UnsignedTx>(`/api/hub/jobs/${j.id}/commit/prepare`, { task_ids: ids, commitment });
    const r = await sendAndWait(tx, `Commit of ${ids.length} labels`);
    saveSalt({ ...findSalt(me, commitment)!, txHash: r.hash });
    const next = { ...labelsRef.current };
    for (const i of ids) delete next[i];
    put(next);
    p.onCommitted();
  };

  if (open.length === 0) {
    return <p class="empty">Nothing left for you to label here: every task has your label or all {j.replication} of its slots are taken.</p>;
  }
  return (
    <div class="labelling">
      <div class="toolbar" role="toolbar" aria-label="Labelling">
        <span class="muted" data-testid="hub-draft-status">
          {done.length} of {open.length} labelled · stake needed {eth(needed)} LMR
        </span>
        <span class="spacer" />
        <Action run={commit} kind="primary" disabled={done.length === 0 || short > 0n} title={short > 0n ? `Stake ${eth(short)} LMR more first` : "Commit your labels hidden (commitBatch)"}>
          Commit {done.length} label{done.length === 1 ? "" : "s"}
        </Action>
      </div>
      <div class="salt-warning" role="note" data-testid="salt-warning">
        <strong>Your salt stays in this browser.</strong> Committing makes a random salt here and saves it before the transaction is sent; only the commitment goes on chain. Revealing needs that salt: if it is lost (site data cleared, another browser or computer) you cannot reveal and the batch's whole stake ({eth(needed)} LMR for these labels) is forfeited. Export your salts after committing.
      </div>
      {short > 0n && (
        <p class="callout" role="status">
          These {done.length} labels lock {eth(needed)} LMR of stake; {eth(free)} LMR is free. Stake {eth(short)} LMR more to commit them.
        </p>
      )}
      <div class={`ws-grid ${isImage ? "image" : "text"}`}>
        <nav class="task-strip" aria-label="Tasks">
          <ol>
            {open.map((t, i) => (
              <li key={t.index}>
                <button type="button" class={`task-btn ${cur?.index === t.index ? "current" : ""}`} aria-current={cur?.index === t.index ? "true" : undefined} onClick={() => setCurrent(t.index)}>
                  <span>Task {t.index}</span>
                  {labels[t.index] !== undefined ? <Badge kind="ok">{classes[labels[t.index]]}</Badge> : <Badge kind="pending">pending</Badge>}
                  <span class="sr-only">
                    {i + 1} of {open.length}
                  </span>
                </button>
              </li>
            ))}
          </ol>
        </nav>
        <div class="ws-main">
          {cur && isImage && (
            <figure class="hub-image">
              <img src={cur.url} alt={`Task ${cur.index}: ${cur.path}`} />
              <figcaption class="muted">
                {cur.path} · {cur.committed} of {j.replication} labels committed
              </figcaption>
            </figure>
          )}
          {cur && !isImage && (
            <article class="text-task" aria-label={`Task ${cur.index} text`}>
              <p class="muted">
                {cur.path} · {cur.committed} of {j.replication} labels committed
              </p>
              <blockquote>{text[cur.index] ?? "Loading…"}</blockquote>
            </article>
          )}
          <p class="nav-row">
            <button type="button" class="btn ghost" onClick={() => step(-1)}>
              ← Previous <kbd>[</kbd>
            </button>
            <button type="button" class="btn ghost" onClick={() => step(1)}>
              Next <kbd>]</kbd> →
            </button>
          </p>
        </div>
        <aside class="ws-side">
          <fieldset class="classes-picker">
            <legend>Class</legend>
            {classes.map((c, i) => {
              const on = cur ? labels[cur.index] === i : false;
              return (
                <button key={c} type="button" class={`class-btn ${on ? "on" : ""}`} aria-pressed={on} style={{ "--c": color(i) } as any} onClick={() => pick(i)}>
                  <kbd>{i + 1}</kbd> {c}
                </button>
              );
            })}
          </fieldset>
          <p class="keys">
            <kbd>1</kbd>–<kbd>{Math.min(9, classes.length)}</kbd> class, then the next task · <kbd>[</kbd> <kbd>]</kbd> tasks
          </p>
        </aside>
      </div>
    </div>
  );
}

function BatchResult(p: { b: HubBatch }) {
  const { b } = p;
  if (b.status === "settled") {
    const slashed = BigInt(b.slashed ?? "0");
    return (
      <span class="result">
        <Badge kind="approved">paid {eth(b.paid ?? "0")} LMR</Badge> {slashed > 0n && <Badge kind="rejected">slashed {eth(slashed)} LMR</Badge>}{" "}
        <span class="muted">
          {b.agreed} agreed · {b.disagreed} disagreed{b.gold_failed ? " · gold check failed" : ""}
        </span>
      </span>
    );
  }
  if (b.status === "forfeited") return <Badge kind="rejected">forfeited: slashed {eth(b.slashed ?? "0")} LMR</Badge>;
  return null;
}

function Batches(p: { j: HubJobDetail; tasks: HubTask[]; batches: HubBatch[]; classes: string[]; me: string; onChange(): void }) {
  const { j, classes, me } = p;
  if (p.batches.length === 0) return null;
  const settle = async (b: HubBatch) => {
    const tx = await post<UnsignedTx>(`/api/hub/jobs/${j.id}/settle/prepare`, { batch_id: b.batch_id });
    await sendAndWait(tx, `Settle batch ${b.batch_id}`);
    p.onChange();
  };
  return (
    <section class="hub-batches" aria-labelledby="my-batches-title">
      <h2 id="my-batches-title">Your batches</h2>
      <ul class="subs" aria-label="Your batches">
        {p.batches.map((b) => {
          const salt = findSalt(me, b.commitment);
          const labels = b.labels ?? salt?.labels ?? null;
          return (
            <li key={b.batch_id} class={`sub hub-batch st-${b.status}`} data-testid={`hub-batch-${b.batch_id}`}>
              <div class="sub-head">
                <strong>Batch {b.batch_id}</strong>
                <span class="muted">
                  {b.tasks.length} label{b.tasks.length === 1 ? "" : "s"} · {eth(b.locked)} LMR locked
                </span>
                <span class="spacer" />
                <Badge kind={`hub-${b.status}`}>{b.status}</Badge>
                <BatchResult b={b} />
              </div>
              <ul class="task-verdicts" aria-label={`Labels of batch ${b.batch_id}`}>
                {b.tasks.map((t, i) => {
                  const mineLabel = labels?.[i];
                  const c = p.tasks.find((x) => x.index === t)?.consensus;
                  const decided = c && c.state !== "empty" && c.state !== "escalated" && c.state !== "undecided";
                  return (
                    <li key={t}>
                      Task {t}: {mineLabel !== undefined ? classes[mineLabel] : "hidden"}
                      {decided && mineLabel !== undefined && (
                        <>
                          {" "}
                          {c!.label === mineLabel ? <Badge kind="approved">majority {classes[c!.label]}</Badge> : <Badge kind="rejected">majority {classes[c!.label]}</Badge>}
                        </>
                      )}
                      {c && c.state === "escalated" && <Badge kind="pending">with the arbiter</Badge>}
                    </li>
                  );
                })}
              </ul>
              <div class="sub-body">
                <span>
                  Commit <Hash h={b.commit_tx} />
                </span>
                {b.reveal_tx && (
                  <span>
                    Reveal <Hash h={b.reveal_tx} />
                  </span>
                )}
                {b.settle_tx && (
                  <span>
                    Settle <Hash h={b.settle_tx} />
                  </span>
                )}
                <span>{salt ? "salt saved in this browser" : b.status === "committed" ? "salt NOT in this browser" : ""}</span>
              </div>
              {j.phase === "settle" && (b.status === "revealed" || b.status === "committed") && (
                <div class="actions">
                  <Action run={() => settle(b)} kind={b.status === "revealed" ? "primary" : "danger"} small>
                    {b.status === "revealed" ? `Settle batch ${b.batch_id}` : `Forfeit batch ${b.batch_id} (never revealed)`}
                  </Action>
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function StakePanel(p: { j: HubJobDetail; s: StakeView | null; error: string | null; openTasks: number; onChange(): void }) {
  const { j, s } = p;
  const [amount, setAmount] = useState<string>("");
  const [unstake, setUnstake] = useState<string>("");
  if (!s) return <Loading error={p.error} what="your stake" />;
  const free = BigInt(s.free);
  // What labelling every task still open to this annotator locks.
  const needOpen = BigInt(j.stake_per_label) * BigInt(p.openTasks);
  const suggestion = needOpen > free ? needOpen - free : 0n;
  const doStake = async () => {
    const v = lmrInput(amount || formatEther(suggestion));
    const r = await post<{ txs: UnsignedTx[] }>("/api/hub/stake/prepare", { amount: v.toString() });
    await sendAll(r.txs, (tx) => (tx.function.startsWith("approve") ? "Approve the hub to take the LMR" : `Stake ${eth(v)} LMR`));
    setAmount("");
    p.onChange();
  };
  const doUnstake = async () => {
    const v = lmrInput(unstake || formatEther(free));
    const tx = await post<UnsignedTx>("/api/hub/unstake/prepare", { amount: v.toString() });
    await sendAndWait(tx, `Request to unstake ${eth(v)} LMR`);
    setUnstake("");
    p.onChange();
  };
  const doWithdrawStake = async () => {
    const tx = await post<UnsignedTx>("/api/hub/stake/withdraw/prepare");
    await sendAndWait(tx, "Withdraw the unstaked LMR");
    p.onChange();
  };
  const doWithdrawCredit = async () => {
    const tx = await post<UnsignedTx>("/api/hub/withdraw/prepare");
    await sendAndWait(tx, `Withdraw ${eth(s.credit)} LMR of pay`);
    p.onChange();
  };
  return (
    <section class="panel stake-panel" aria-labelledby="stake-title" data-testid="stake-panel">
      <h2 id="stake-title">Your stake</h2>
      <dl class="facts">
        <div>
          <dt>Staked</dt>
          <dd data-testid="staked">{LMR(s.staked)}</dd>
        </div>
        <div>
          <dt>Locked by commits</dt>
          <dd>{LMR(s.locked)}</dd>
        </div>
        <div>
          <dt>Free</dt>
          <dd data-testid="stake-free">{LMR(s.free)}</dd>
        </div>
        <div>
          <dt>Needed for the {p.openTasks} open tasks</dt>
          <dd data-testid="stake-needed">{LMR(needOpen)}</dd>
        </div>
        <div>
          <dt>Wallet</dt>
          <dd>{LMR(s.token_balance)}</dd>
        </div>
        <div>
          <dt>Unstaking</dt>
          <dd>
            {LMR(s.pending_unstake)}
            {BigInt(s.pending_unstake) > 0n && <small class="muted"> · ready {date(s.unstake_ready_at)}</small>}
          </dd>
        </div>
      </dl>
      <label class="field">
        Amount to stake (LMR)
        <input type="text" inputMode="decimal" placeholder={formatEther(suggestion)} value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />
      </label>
      <Action run={doStake} kind="primary" disabled={!amount && suggestion === 0n} title="Approve the hub (when needed), then stake">
        Stake
      </Action>
      <label class="field stake-gap">
        Amount to unstake (LMR)
        <input type="text" inputMode="decimal" placeholder={formatEther(free)} value={unstake} onInput={(e) => setUnstake((e.target as HTMLInputElement).value)} />
      </label>
      <div class="actions">
        <Action run={doUnstake} disabled={free === 0n} title={`Free stake only; withdrawable ${duration(s.unstake_cooldown)} later`}>
          Request unstake
        </Action>
        <Action run={doWithdrawStake} disabled={!s.can_withdraw_stake} title={BigInt(s.pending_unstake) > 0n ? `Ready ${date(s.unstake_ready_at)}` : "Nothing requested"}>
          Withdraw stake
        </Action>
      </div>
      <h3 class="stake-gap">Pay</h3>
      <p>
        Credited by settled batches: <strong data-testid="hub-credit">{LMR(s.credit)}</strong>
      </p>
      <Action run={doWithdrawCredit} kind="primary" disabled={BigInt(s.credit) === 0n}>
        Withdraw credit
      </Action>
      <p class="muted small-print">
        Reputation: {s.reputation.agreed}/{s.reputation.judged} labels agreed
        {s.reputation.judged > 0 ? ` (${(s.reputation.score_bps / 100).toFixed(1)} %)` : ""}.
      </p>
    </section>
  );
}

function SaltsPanel(p: { me: string }) {
  const st = useStore(app);
  const n = loadSalts(p.me).length;
  const onFile = async (e: Event) => {
    const input = e.target as HTMLInputElement;
    const f = input.files?.[0];
    if (!f) return;
    try {
      const added = await importSalts(p.me, f);
      notify("ok", `Imported ${added} salt${added === 1 ? "" : "s"}.`);
      app.set({ tick: st.tick + 1 });
    } catch (err) {
      notify("error", `Not a salts file: ${String(err)}`);
    } finally {
      input.value = "";
    }
  };
  return (
    <section class="panel" aria-labelledby="salts-title">
      <h2 id="salts-title">Your salts</h2>
      <p class="muted">
        {n} salt{n === 1 ? "" : "s"} saved in this browser for this address. Losing one forfeits that batch's stake: export them and keep the file until your reveals are done.
      </p>
      <div class="actions">
        <button type="button" class="btn" onClick={() => downloadSalts(p.me)} disabled={n === 0}>
          Export salts
        </button>
        <label class="btn file-btn">
          Import salts
          <input type="file" accept="application/json,.json" class="sr-only" onChange={onFile} aria-label="Import a salts file" />
        </label>
      </div>
    </section>
  );
}

/** `--dev` only: move the local chain's clock to the next phase. */
export function DevClock(p: { j: HubJobDetail; onMoved(): void }) {
  const { j } = p;
  const move = async (to: number, what: string) => {
    const seconds = Math.max(1, to - j.now + 1);
    await post("/api/dev/time", { seconds });
    notify("info", `Dev chain clock moved ${duration(seconds)} forward: ${what}.`);
    p.onMoved();
  };
  return (
    <section class="panel dev-clock" aria-labelledby="dev-clock-title">
      <h2 id="dev-clock-title">
        Chain clock <Badge kind="dev">DEV</Badge>
      </h2>
      <p class="muted">The local chain's time only moves with blocks. Skip ahead to try every phase (evm_increaseTime).</p>
      <div class="actions">
        {j.phase === "commit" && (
          <Action run={() => move(j.commit_end, "the reveal phase")} small>
            Skip to the reveal phase
          </Action>
        )}
        {j.phase === "reveal" && (
          <Action run={() => move(j.reveal_end, "the settle phase")} small>
            Skip to the settle phase
          </Action>
        )}
        {j.phase === "settle" && (
          <Action run={() => move(j.settle_end, "past the settle phase: the job can be closed")} small>
            Skip past the settle phase
          </Action>
        )}
        <Action run={() => move(j.now + j.unstake_cooldown, "past the unstake cooldown")} small>
          Skip {duration(j.unstake_cooldown)}
        </Action>
      </div>
    </section>
  );
}
