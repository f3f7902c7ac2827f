// Annotator pages: the job list, a job's workspace (image canvas or text
// classification, drafts, preview, one signature per batch), and "My work"
// (each submission's status, revert name, hash, retry, dispute).
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { get, post, type EventView, type Job, type JobDetail, type Submission, type Task } from "./api";
import { Earnings } from "./earnings";
import { Editor, Thumb, type Tool } from "./editor";
import { HubJobCards } from "./hub";
import { ago, date, duration, eth, REASONS, sameAddr, SCHEMA_NAMES, unitOf } from "./format";
import { color, toLabel, type Item } from "./shapes";
import { app, notify, sendAndWait } from "./state";
import { useStore } from "./store";
import { Action, Addr, Badge, Eth, Hash, Loading, Modal, useLoad } from "./ui";

export function JobList() {
  const st = useStore(app);
  const { data, error } = useLoad(() => get<Job[]>("/api/jobs?status=open"), [st.tick]);
  if (!data) return <Loading error={error} what="jobs" />;
  return (
    <section>
      <div class="page-head">
        <h1>Open jobs</h1>
        <p class="muted">Label data, sign once per batch, get paid on chain the moment the creator approves — or stake on consensus jobs, where the revealed majority decides.</p>
      </div>
      {data.length === 0 && <p class="empty">No open jobs yet. Creators can post one under “Create job”.</p>}
      <ul class="cards" aria-label="Open jobs">
        {data.map((j) => (
          <li key={j.id} class="card job-card">
            <a href={`#/jobs/${j.id}`} class="card-link" aria-label={`Job ${j.id}: ${j.metadata?.title ?? "untitled"}`}>
              <div class="card-top">
                <Badge kind="schema">{SCHEMA_NAMES[j.schema] ?? j.schema}</Badge>
                <span class="muted">#{j.id}</span>
              </div>
              <h2>{j.metadata?.title ?? `Job ${j.id}`}</h2>
              <p class="bounty">
                <Eth wei={j.reward_per_task} unit={unitOf(j.token)} /> <span class="muted">per approved task</span>
              </p>
              <dl class="facts">
                <div>
                  <dt>Tasks</dt>
                  <dd>{j.task_count}</dd>
                </div>
                <div>
                  <dt>Approved</dt>
                  <dd>{j.approved}</dd>
                </div>
                <div>
                  <dt>Mode</dt>
                  <dd>{j.mode}</dd>
                </div>
                <div>
                  <dt>Deadline</dt>
                  <dd>{date(j.submit_deadline)}</dd>
                </div>
              </dl>
              <p class="classes">
                {(j.metadata?.classes ?? []).map((c, i) => (
                  <span class="chip" key={c} style={{ borderColor: color(i) }}>
                    {c}
                  </span>
                ))}
              </p>
            </a>
          </li>
        ))}
      </ul>
      <HubJobCards />
    </section>
  );
}

/** One task's draft. */
interface Draft {
  items?: Item[];
  cls?: number;
  text?: string;
}

const draftKey = (job: number, addr: string) => {
  const c = app.get().config!;
  return `labelmint:draft:${c.chain_id}:${c.market.toLowerCase()}:${job}:${addr.toLowerCase()}`;
};

function loadDrafts(job: number, addr: string): Record<number, Draft> {
  try {
    return JSON.parse(localStorage.getItem(draftKey(job, addr)) ?? "{}").tasks ?? {};
  } catch {
    return {};
  }
}

function saveDrafts(job: number, addr: string, tasks: Record<number, Draft>) {
  localStorage.setItem(draftKey(job, addr), JSON.stringify({ v: 1, saved: Date.now(), tasks }));
}

function isDone(job: Job, d: Draft | undefined): boolean {
  if (!d) return false;
  if (job.schema === "categorical") return d.cls !== undefined;
  if (job.schema === "text") return !!d.text?.trim();
  return (d.items?.length ?? 0) > 0;
}

/** A task's undo history: earlier shape lists (newest last) and undone ones (next first). */
interface History {
  past: Item[][];
  future: Item[][];
}

function labelOf(job: Job, d: Draft): unknown {
  if (job.schema === "categorical") return d.cls;
  if (job.schema === "text") return { text: d.text };
  return toLabel(d.items ?? []);
}

export function Workspace(p: { id: number }) {
  const st = useStore(app);
  const me = st.address;
  const job = useLoad(() => get<JobDetail>(`/api/jobs/${p.id}`), [p.id, st.tick]);
  const tasks = useLoad(() => get<Task[]>(`/api/jobs/${p.id}/tasks?limit=500`), [p.id, st.tick]);
  const [drafts, setDrafts] = useState<Record<number, Draft>>({});
  const [restored, setRestored] = useState(0);
  const [current, setCurrent] = useState<number | null>(null);
  const [tool, setTool] = useState<Tool>("box");
  const [category, setCategory] = useState(0);
  const [selected, setSelected] = useState<number | null>(null);
  const [history, setHistoryState] = useState<Record<number, History>>({});
  const [preview, setPreview] = useState(false);
  const [zoom, setZoom] = useState<{ n: number; dir: 1 | -1 | 0 }>({ n: 0, dir: 0 });
  const [text, setText] = useState<Record<number, string>>({});

  // Drafts and undo history also live in refs, written at once with the
  // state: an edit, an undo and a redo can follow each other faster than
  // Preact re-renders (and much faster than it re-runs effects), so they
  // must read what the previous one wrote, never a render's snapshot.
  const draftsRef = useRef(drafts);
  const historyRef = useRef(history);
  const putDrafts = (next: Record<number, Draft>) => {
    draftsRef.current = next;
    setDrafts(next);
    if (me) saveDrafts(p.id, me, next);
  };
  const putHistory = (index: number, h: History) => {
    historyRef.current = { ...historyRef.current, [index]: h };
    setHistoryState(historyRef.current);
  };

  useEffect(() => {
    if (!me) return;
    const d = loadDrafts(p.id, me);
    draftsRef.current = d;
    setDrafts(d);
    historyRef.current = {};
    setHistoryState({});
    setRestored(Object.keys(d).length);
  }, [p.id, me]);

  const j = job.data;
  const all = tasks.data ?? [];
  const mine = (t: Task) => sameAddr(t.holder, me);
  const open = all.filter((t) => t.state === "free" || (t.state === "claimed" && mine(t)));
  const classes = j?.metadata?.classes ?? [];
  const isImage = j && (j.schema === "bbox" || j.schema === "polygon" || (all[0]?.width ?? 0) > 0);
  const cur = open.find((t) => t.index === current) ?? open[0] ?? null;
  const curDraft = cur ? drafts[cur.index] ?? {} : {};

  useEffect(() => {
    if (j && j.schema === "polygon") setTool("poly");
  }, [j?.schema]);
  useEffect(() => setSelected(null), [cur?.index]);
  useEffect(() => {
    if (!cur || isImage || text[cur.index] !== undefined) return;
    fetch(cur.url)
      .then((r) => r.text())
      .then((t) => setText((x) => ({ ...x, [cur.index]: t })));
  }, [cur?.index, isImage]);

  const update = (index: number, d: Draft) => {
    const next = { ...draftsRef.current, [index]: d };
    if (!isDone(j!, d) && d.items?.length === 0) delete next[index];
    putDrafts(next);
  };
  /** The current task's shapes as last written (not as last rendered). */
  const nowItems = (index: number) => draftsRef.current[index]?.items ?? [];
  const commit = (items: Item[]) => {
    if (!cur) return;
    const prev = nowItems(cur.index);
    if (JSON.stringify(prev) === JSON.stringify(items)) return;
    const h = historyRef.current[cur.index] ?? { past: [], future: [] };
    putHistory(cur.index, { past: [...h.past, prev], future: [] });
    update(cur.index, { ...draftsRef.current[cur.index], items });
  };
  const undo = () => {
    if (!cur) return;
    const h = historyRef.current[cur.index];
    if (!h?.past.length) return;
    putHistory(cur.index, { past: h.past.slice(0, -1), future: [nowItems(cur.index), ...h.future] });
    update(cur.index, { ...draftsRef.current[cur.index], items: h.past[h.past.length - 1] });
    setSelected(null);
  };
  const redo = () => {
    if (!cur) return;
    const h = historyRef.current[cur.index];
    if (!h?.future.length) return;
    putHistory(cur.index, { past: [...h.past, nowItems(cur.index)], future: h.future.slice(1) });
    update(cur.index, { ...draftsRef.current[cur.index], items: h.future[0] });
  };
  const del = () => {
    if (!cur || selected === null) return;
    commit(nowItems(cur.index).filter((_, i) => i !== selected));
    setSelected(null);
  };
  const pickClass = (c: number) => {
    setCategory(c);
    if (!cur || !j) return;
    if (!isImage) {
      update(cur.index, { ...draftsRef.current[cur.index], cls: c });
      // Classification moves on to the next task, as annotators expect.
      const i = open.findIndex((t) => t.index === cur.index);
      if (i >= 0 && i + 1 < open.length) setCurrent(open[i + 1].index);
    } else if (selected !== null && tool === "select") {
      // With the select tool a class relabels the selected shape; while
      // drawing (the new shape is selected for its handles) it only picks
      // the class of the next shapes.
      commit(nowItems(cur.index).map((it, i) => (i === selected ? { ...it, category: c } : it)));
    }
  };
  const step = (d: number) => {
    if (!cur) return;
    const i = open.findIndex((t) => t.index === cur.index);
    const n = open[i + d];
    if (n) setCurrent(n.index);
  };

  // One window listener for the page's life, calling the handler of the
  // latest render (an effect re-registered per render would run only after
  // the next paint, leaving a stale handler for keys pressed before it).
  const onKey = useRef<(e: KeyboardEvent) => void>(() => {});
  onKey.current = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement || preview) return;
    const ctrl = e.ctrlKey || e.metaKey;
    if (ctrl && e.key.toLowerCase() === "z") {
      e.preventDefault();
      if (e.shiftKey) redo();
      else undo();
    } else if (ctrl && e.key.toLowerCase() === "y") {
      e.preventDefault();
      redo();
    } else if (ctrl) {
      return;
    } else if (/^[1-9]$/.test(e.key) && Number(e.key) <= classes.length) {
      pickClass(Number(e.key) - 1);
    } else if (isImage && (e.key === "v" || e.key === "V")) setTool("select");
    else if (isImage && (e.key === "b" || e.key === "B")) setTool("box");
    else if (isImage && (e.key === "p" || e.key === "P")) setTool("poly");
    else if (e.key === "Delete" || e.key === "Backspace") {
      e.preventDefault();
      del();
    } else if (e.key === "+" || e.key === "=") setZoom((z) => ({ n: z.n + 1, dir: 1 }));
    else if (e.key === "-") setZoom((z) => ({ n: z.n + 1, dir: -1 }));
    else if (e.key === "0") setZoom((z) => ({ n: z.n + 1, dir: 0 }));
    else if (e.key === "]" || e.key === "n") step(1);
    else if (e.key === "[") step(-1);
    else if (selected !== null && e.key.startsWith("Arrow") && cur) {
      e.preventDefault();
      const d = e.shiftKey ? 10 : 1;
      const [dx, dy] = e.key === "ArrowLeft" ? [-d, 0] : e.key === "ArrowRight" ? [d, 0] : e.key === "ArrowUp" ? [0, -d] : [0, d];
      commit(
        nowItems(cur.index).map((it, i) =>
          i !== selected ? it : it.kind === "box" ? { ...it, x: it.x + dx, y: it.y + dy } : { ...it, points: it.points.map(([x, y]) => [x + dx, y + dy] as [number, number]) },
        ),
      );
    }
  };
  useEffect(() => {
    const key = (e: KeyboardEvent) => onKey.current(e);
    window.addEventListener("keydown", key);
    return () => window.removeEventListener("keydown", key);
  }, []);

  if (!j || !tasks.data) return <Loading error={job.error ?? tasks.error} what="the job" />;
  const done = open.filter((t) => isDone(j, drafts[t.index]));
  const held = all.filter((t) => t.state === "claimed" && mine(t));
  const submittedByMe = all.filter((t) => (t.state === "submitted" || t.state === "approved" || t.state === "rejected") && mine(t));

  const claim = async () => {
    const free = open.filter((t) => t.state === "free").slice(0, Math.min(10, j.max_held));
    if (!free.length) return notify("info", "No free tasks to reserve.");
    const tx = await post(`/api/jobs/${j.id}/claim/prepare`, { task_ids: free.map((t) => t.index) });
    await sendAndWait(tx, `Reserve ${free.length} tasks`);
    tasks.reload();
  };

  return (
    <section class="workspace">
      <div class="page-head row">
        <div>
          <p class="crumbs">
            <a href="#/">Jobs</a> › #{j.id}
          </p>
          <h1>{j.metadata?.title ?? `Job ${j.id}`}</h1>
          {j.metadata?.instructions && <p class="muted">{j.metadata.instructions}</p>}
        </div>
        <dl class="facts wide">
          <div>
            <dt>Bounty</dt>
            <dd>
              <Eth wei={j.reward_per_task} unit={unitOf(j.token)} /> / task
            </dd>
          </div>
          <div>
            <dt>Mode</dt>
            <dd>{j.mode === "review" ? "Creator review" : j.mode}</dd>
          </div>
          <div>
            <dt>Stake needed</dt>
            <dd>{BigInt(j.stake_required) === 0n ? "none" : <Eth wei={j.stake_required} unit="LMR" />}</dd>
          </div>
          <div>
            <dt>Deadline</dt>
            <dd>{date(j.submit_deadline)}</dd>
          </div>
          <div>
            <dt>Dispute bond</dt>
            <dd>
              <Eth wei={j.dispute_bond} unit={unitOf(j.token)} />
            </dd>
          </div>
          <div>
            <dt>Progress</dt>
            <dd>
              {j.approved}/{j.task_count} approved
            </dd>
          </div>
        </dl>
      </div>
      {!me ? (
        <p class="callout">Connect a wallet and sign in to label this job.</p>
      ) : (
        <>
          <div class="toolbar" role="toolbar" aria-label="Workspace">
            <span class="muted" data-testid="draft-status">
              {restored > 0 ? `Draft restored: ${restored} task${restored === 1 ? "" : "s"} from this browser · ` : ""}
              {done.length} of {open.length} done
            </span>
            <span class="spacer" />
            {held.length > 0 ? (
              <Badge kind="claimed" title="Reserved for you on chain">
                {held.length} reserved · {duration((held[0].claim_expires ?? 0) - Math.floor(Date.now() / 1000))} left
              </Badge>
            ) : (
              <Action run={claim} title="Reserve up to 10 free tasks on chain so nobody else takes them (claimTasks)">
                Reserve tasks
              </Action>
            )}
            <button type="button" class="btn primary" disabled={done.length === 0} onClick={() => setPreview(true)}>
              Preview &amp; submit ({done.length})
            </button>
          </div>
          {open.length === 0 ? (
            <p class="empty">
              Nothing left to label here{submittedByMe.length ? `: you submitted ${submittedByMe.length} tasks — see ` : "."}
              {submittedByMe.length > 0 && <a href="#/work">My work</a>}
            </p>
          ) : (
            <div class={`ws-grid ${isImage ? "image" : "text"}`}>
              <nav class="task-strip" aria-label="Tasks">
                <ol>
                  {open.map((t, i) => (
                    <li key={t.index}>
                      <button
                        type="button"
                        class={`task-btn ${cur?.index === t.index ? "current" : ""}`}
                        aria-current={cur?.index === t.index ? "true" : undefined}
                        onClick={() => setCurrent(t.index)}
                      >
                        <span>Task {t.index}</span>
                        {isDone(j, drafts[t.index]) ? <Badge kind="ok">done</Badge> : <Badge kind="pending">pending</Badge>}
                        <span class="sr-only">{i + 1} of {open.length}</span>
                      </button>
                    </li>
                  ))}
                </ol>
              </nav>
              <div class="ws-main">
                {cur && isImage && (
                  <>
                    <div class="tools" role="toolbar" aria-label="Drawing tools">
                      {(
                        [
                          ["select", "Select", "V"],
                          ["box", "Box", "B"],
                          ["poly", "Polygon", "P"],
                        ] as const
                      ).map(([t, name, k]) => (
                        <button key={t} type="button" class={`btn tool ${tool === t ? "on" : ""}`} aria-pressed={tool === t} onClick={() => setTool(t)}>
                          {name} <kbd>{k}</kbd>
                        </button>
                      ))}
                      <span class="sep" />
                      <button type="button" class="btn tool" onClick={undo} disabled={!history[cur.index]?.past.length} aria-label="Undo (Ctrl+Z)">
                        ↶ Undo
                      </button>
                      <button type="button" class="btn tool" onClick={redo} disabled={!history[cur.index]?.future.length} aria-label="Redo (Ctrl+Shift+Z)">
                        ↷ Redo
                      </button>
                      <button type="button" class="btn tool" onClick={del} disabled={selected === null} aria-label="Delete the selected shape (Delete)">
                        Delete
                      </button>
                      <span class="sep" />
                      <button type="button" class="btn tool" aria-label="Zoom out (-)" onClick={() => setZoom((z) => ({ n: z.n + 1, dir: -1 }))}>
                        −
                      </button>
                      <button type="button" class="btn tool" aria-label="Fit the image (0)" onClick={() => setZoom((z) => ({ n: z.n + 1, dir: 0 }))}>
                        Fit
                      </button>
                      <button type="button" class="btn tool" aria-label="Zoom in (+)" onClick={() => setZoom((z) => ({ n: z.n + 1, dir: 1 }))}>
                        +
                      </button>
                    </div>
                    <Editor
                      src={cur.url}
                      width={cur.width ?? 640}
                      height={cur.height ?? 480}
                      items={curDraft.items ?? []}
                      classes={classes}
                      category={category}
                      tool={tool}
                      selected={selected}
                      onSelect={setSelected}
                      onCommit={commit}
                      zoomCmd={zoom}
                    />
                  </>
                )}
                {cur && !isImage && (
                  <article class="text-task" aria-label={`Task ${cur.index} text`}>
                    <p class="muted">{cur.path}</p>
                    <blockquote>{text[cur.index] ?? "Loading…"}</blockquote>
                    {j.schema === "text" && (
                      <label class="field">
                        Your answer
                        <textarea rows={4} value={curDraft.text ?? ""} onInput={(e) => update(cur.index, { ...draftsRef.current[cur.index], text: (e.target as HTMLTextAreaElement).value })} />
                      </label>
                    )}
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
                {j.schema !== "text" && (
                  <fieldset class="classes-picker">
                    <legend>Class</legend>
                    {classes.map((c, i) => {
                      const on = isImage ? category === i : curDraft.cls === i;
                      return (
                        <button key={c} type="button" class={`class-btn ${on ? "on" : ""}`} aria-pressed={on} style={{ "--c": color(i) } as any} onClick={() => pickClass(i)}>
                          <kbd>{i + 1}</kbd> {c}
                        </button>
                      );
                    })}
                  </fieldset>
                )}
                {isImage && (
                  <div class="shape-list">
                    <h3>Shapes ({curDraft.items?.length ?? 0})</h3>
                    <ul>
                      {(curDraft.items ?? []).map((it, i) => (
                        <li key={i}>
                          <button type="button" class={`shape-row ${selected === i ? "on" : ""}`} onClick={() => { setSelected(i); setTool("select"); }}>
                            <span class="dot" style={{ background: color(it.category) }} />
                            {classes[it.category] ?? it.category} · {it.kind === "box" ? `box ${Math.round(it.w)}×${Math.round(it.h)}` : `polygon, ${it.points.length} points`}
                          </button>
                        </li>
                      ))}
                    </ul>
                    <details class="keys">
                      <summary>Keyboard</summary>
                      <p>
                        <kbd>V</kbd> select · <kbd>B</kbd> box · <kbd>P</kbd> polygon · <kbd>1</kbd>–<kbd>9</kbd> class (of the next shape; relabels the selection with <kbd>V</kbd>) · <kbd>Del</kbd> delete · <kbd>Ctrl</kbd>+<kbd>Z</kbd> undo ·{" "}
                        <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>Z</kbd> redo · <kbd>+</kbd>/<kbd>−</kbd>/<kbd>0</kbd> zoom · <kbd>Space</kbd>+drag pan · arrows nudge · <kbd>[</kbd> <kbd>]</kbd> tasks
                      </p>
                    </details>
                  </div>
                )}
              </aside>
            </div>
          )}
          {preview && (
            <Preview
              job={j}
              tasks={open}
              drafts={drafts}
              text={text}
              onClose={() => setPreview(false)}
              onSubmitted={(ids) => {
                const next = { ...draftsRef.current };
                for (const i of ids) delete next[i];
                putDrafts(next);
                setPreview(false);
                location.hash = "#/work";
              }}
            />
          )}
        </>
      )}
    </section>
  );
}

function Preview(p: {
  job: JobDetail;
  tasks: Task[];
  drafts: Record<number, Draft>;
  text: Record<number, string>;
  onClose(): void;
  onSubmitted(ids: number[]): void;
}) {
  const classes = p.job.metadata?.classes ?? [];
  const done = p.tasks.filter((t) => isDone(p.job, p.drafts[t.index]));
  const submit = async () => {
    const wallet = app.get().wallet;
    if (!wallet) throw new Error("Connect your wallet first.");
    const ids = done.map((t) => t.index).sort((a, b) => a - b);
    const prepared = await post(`/api/jobs/${p.job.id}/batches/prepare`, {
      task_ids: ids,
      labels: ids.map((i) => labelOf(p.job, p.drafts[i])),
    });
    app.set({ busy: "Sign the batch in your wallet…" });
    let signature;
    try {
      signature = await wallet.signTypedData(prepared.typed_data);
    } finally {
      app.set({ busy: null });
    }
    const accepted = await post(`/api/submissions`, { ...prepared.submission, signature });
    notify("ok", `Batch of ${ids.length} tasks accepted as submission ${accepted.id}; the relayer sends it (you pay no gas).`);
    p.onSubmitted(ids);
  };
  return (
    <Modal title={`Preview: ${done.length} of ${p.tasks.length} tasks done`} onClose={p.onClose} wide>
      <ul class="preview-grid" aria-label="Tasks to submit">
        {p.tasks.map((t) => {
          const d = p.drafts[t.index];
          const ok = isDone(p.job, d);
          return (
            <li key={t.index} class={`preview-item ${ok ? "done" : "pending"}`}>
              {t.width ? (
                <Thumb src={t.url} width={t.width} height={t.height ?? t.width} items={d?.items ?? []} label={`Task ${t.index}: ${d?.items?.length ?? 0} shapes`} />
              ) : (
                <p class="preview-text">{(p.text[t.index] ?? t.path).slice(0, 120)}</p>
              )}
              <p>
                Task {t.index} {ok ? <Badge kind="ok">done</Badge> : <Badge kind="pending">pending</Badge>}
                {d?.cls !== undefined && <span class="chip" style={{ borderColor: color(d.cls) }}>{classes[d.cls]}</span>}
                {d?.items && ` ${d.items.length} shape${d.items.length === 1 ? "" : "s"}`}
              </p>
            </li>
          );
        })}
      </ul>
      <footer class="modal-foot">
        <p class="muted">
          One signature covers all {done.length} done tasks (EIP-712 <code>SubmitBatch</code>). Pending tasks stay in your draft. Payment: <Eth wei={(BigInt(p.job.reward_per_task) * BigInt(done.length)).toString()} unit={unitOf(p.job.token)} /> if all are approved.
        </p>
        <Action run={submit} kind="primary" disabled={done.length === 0}>
          Sign once &amp; submit {done.length} tasks
        </Action>
      </footer>
    </Modal>
  );
}

const STATUS_TEXT: Record<string, string> = {
  queued: "queued",
  signed: "signing",
  sent: "sent",
  mined: "mined",
  failed: "failed",
};

export function MyWork() {
  const st = useStore(app);
  const subs = useLoad(() => (st.address ? get<Submission[]>("/api/me/submissions") : Promise.resolve([])), [st.address, st.tick]);
  const jobIds = useMemo(() => [...new Set((subs.data ?? []).map((s) => s.job_id))], [subs.data]);
  const jobs = useLoad(
    async () => {
      const out: Record<number, { job: JobDetail; tasks: Task[]; events: EventView[] }> = {};
      for (const id of jobIds) {
        const [job, tasks, events] = await Promise.all([
          get<JobDetail>(`/api/jobs/${id}`),
          get<Task[]>(`/api/jobs/${id}/tasks?limit=500`),
          get<EventView[]>(`/api/jobs/${id}/events`),
        ]);
        out[id] = { job, tasks, events };
      }
      return out;
    },
    [jobIds.join(","), st.tick],
  );
  if (!st.address) return <p class="callout">Connect a wallet and sign in to see your work.</p>;
  if (!subs.data) return <Loading error={subs.error} what="your submissions" />;
  return (
    <section>
      <div class="page-head">
        <h1>My work</h1>
        <p class="muted">Every batch you signed: relayed from the server's outbox, never dropped. Updates live.</p>
      </div>
      <Earnings />
      {subs.data.length === 0 && <p class="empty">No submissions yet. Pick a job under “Jobs”.</p>}
      <ul class="subs" aria-label="Submissions">
        {subs.data.map((s) => (
          <SubmissionRow key={s.id} s={s} info={jobs.data?.[s.job_id]} reload={subs.reload} />
        ))}
      </ul>
    </section>
  );
}

function SubmissionRow(p: { s: Submission; info?: { job: JobDetail; tasks: Task[]; events: EventView[] }; reload(): void }) {
  const { s, info } = p;
  const batch = s.batch_id !== null ? String(s.batch_id) : null;
  const review = info?.events.find((e) => e.name === "BatchReviewed" && String(e.fields.batchId) === batch);
  const disputed = info?.events.find((e) => e.name === "RejectionDisputed" && String(e.fields.batchId) === batch);
  const settled = info?.events.find((e) => e.name === "RejectionSettled" && String(e.fields.batchId) === batch);
  const verdicts: number[] = [];
  if (review?.fields.verdicts) {
    const hex = String(review.fields.verdicts).replace(/^0x/, "");
    for (let i = 0; i < hex.length; i += 2) verdicts.push(parseInt(hex.slice(i, i + 2), 16));
  }
  const perTask = s.task_ids.map((t, i) => {
    const task = info?.tasks.find((x) => x.index === t);
    return { t, state: task?.state ?? "submitted", reason: verdicts[i] ?? 0 };
  });
  const rejected = perTask.filter((x) => x.state === "rejected");
  const title = info?.job.metadata?.title ?? `Job ${s.job_id}`;
  const retry = async () => {
    await post(`/api/submissions/${s.id}/retry`);
    notify("info", `Submission ${s.id} queued again.`);
    p.reload();
  };
  const dispute = async () => {
    const tx = await post(`/api/jobs/${s.job_id}/dispute/prepare`, { batch_id: batch });
    await sendAndWait(tx, `Dispute of batch ${batch}`);
    p.reload();
  };
  return (
    <li class={`sub s-${s.status}`} data-testid={`submission-${s.id}`}>
      <div class="sub-head">
        <strong>Submission {s.id}</strong>
        <span class="muted">
          {title} · {s.task_ids.length} task{s.task_ids.length === 1 ? "" : "s"} · {ago(s.accepted_at_ms)}
        </span>
        <span class="spacer" />
        <Badge kind={s.status} title={`outbox status: ${s.status}`}>
          {STATUS_TEXT[s.status] ?? s.status}
        </Badge>
        {review && (
          <Badge kind={review.fields.rejected > 0 ? "rejected" : "approved"}>
            {review.fields.approved} approved · {review.fields.rejected} rejected
          </Badge>
        )}
      </div>
      <div class="sub-body">
        <span>
          Transaction <Hash h={s.tx_hash} />
        </span>
        {s.batch_id !== null && <span>Batch {s.batch_id}</span>}
        {s.block !== null && <span>Block {s.block}</span>}
        {s.attempts > 1 && <span>{s.attempts} attempts</span>}
      </div>
      {s.status === "failed" && (
        <div class="sub-error" role="alert">
          <p>
            Failed: <strong class="revert-name">{s.error_code ?? "error"}</strong> {s.error_message && <span class="muted">— {s.error_message}</span>}
          </p>
          <Action run={retry} kind="primary" small>
            Retry
          </Action>
        </div>
      )}
      {review && (
        <ul class="task-verdicts">
          {perTask.map((x) => (
            <li key={x.t}>
              Task {x.t}:{" "}
              {x.state === "approved" ? (
                <Badge kind="approved">approved · paid</Badge>
              ) : x.state === "rejected" ? (
                <Badge kind="rejected">rejected: {REASONS[x.reason] ?? `reason ${x.reason}`}</Badge>
              ) : (
                <Badge kind={x.state}>{x.state}</Badge>
              )}
            </li>
          ))}
        </ul>
      )}
      {rejected.length > 0 && !disputed && !settled && info && (
        <div class="dispute">
          <p>
            Think the rejection is wrong? Dispute it before the arbiter <Addr a={info.job.arbiter} /> within {duration(info.job.dispute_window)} of the review. Bond: <Eth wei={info.job.dispute_bond} unit={unitOf(info.job.token)} /> (back
            with the pay if the rejection is overturned; lost if it is upheld).
          </p>
          <Action run={dispute} kind="danger" small>
            Dispute ({eth(info.job.dispute_bond)} {unitOf(info.job.token)} bond)
          </Action>
        </div>
      )}
      {disputed && !settled && <p class="muted">Disputed — waiting for the arbiter's ruling.</p>}
    </li>
  );
}

