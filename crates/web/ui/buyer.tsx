// Buyer pages: the dataset catalogue with provenance, purchase from the
// wallet, and a download verified in the browser against the registry's root.
import { useEffect, useState } from "preact/hooks";
import type { Hex } from "viem";
import { ApiError, get, post, type Dataset, type FinetuneModel, type FinetuneTask, type PreparedFinetune } from "./api";
import { date, sameAddr, unitOf } from "./format";
import { app, notify, signPermit, sendAndWait } from "./state";
import { useStore } from "./store";
import { Action, Addr, Badge, Eth, Hash, Loading, useLoad } from "./ui";
import { zgRoot } from "./zgroot";

/** What a dataset's source job is called, by its quality mode. */
const JOB_KIND: Record<string, string> = { review: "job", consensus: "consensus job", court: "court job" };
/** How its labels' quality was established. */
const QUALITY_TEXT: Record<string, string> = {
  review: "creator review",
  consensus: "staked consensus",
  court: "oracle result, disputable",
  external: "external",
};

export function Catalogue() {
  const st = useStore(app);
  const list = useLoad(() => get<Dataset[]>("/api/datasets"), [st.tick]);
  if (!list.data) return <Loading error={list.error} what="datasets" />;
  return (
    <section>
      <div class="page-head">
        <h1>Datasets</h1>
        <p class="muted">Verified datasets with on-chain provenance. Buy a licence from your wallet; downloads are checked against the registry's root in your browser.</p>
      </div>
      {list.data.length === 0 && <p class="empty">No datasets published yet. Creators publish finished jobs from “My jobs”.</p>}
      <ul class="cards wide" aria-label="Datasets">
        {list.data.map((d) => (
          <DatasetCard key={d.id} d={d} />
        ))}
      </ul>
    </section>
  );
}

function DatasetCard({ d }: { d: Dataset }) {
  const st = useStore(app);
  const [verified, setVerified] = useState<{ root: string; ok: boolean; size: number } | null>(null);
  const unit = unitOf(d.payment_token);
  const purchase = async () => {
    // A RewardToken price is paid with an EIP-2612 permit for exactly the
    // price, signed in the wallet (purchaseWithPermit); ETH goes as value.
    const permit = unit === "ETH" ? undefined : await signPermit("registry", BigInt(d.price), `Licence for dataset ${d.id}`);
    const tx = await post(`/api/datasets/${d.id}/purchase/prepare`, { permit });
    await sendAndWait(tx, `Licence for dataset ${d.id}${permit ? " (paid in LMR with a permit)" : ""}`);
  };
  const download = async () => {
    const resp = await fetch(`/api/datasets/${d.id}/download`, { credentials: "same-origin" });
    if (!resp.ok) {
      const e = await resp.json().catch(() => ({}));
      throw new ApiError(resp.status, e.code ?? "http", e.message ?? resp.statusText);
    }
    const bytes = new Uint8Array(await resp.arrayBuffer());
    const root = zgRoot(bytes);
    const ok = root.toLowerCase() === d.root_hash.toLowerCase();
    setVerified({ root, ok, size: bytes.length });
    if (!ok) {
      notify("error", `The download's root ${root} differs from the registry's ${d.root_hash}: not saved.`);
      return;
    }
    const name = (resp.headers.get("content-disposition") ?? "").match(/filename="([^"]+)"/)?.[1] ?? `dataset-${d.id}.zip`;
    const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    notify("ok", `Downloaded ${name}: its 0G root matches the registry.`);
  };
  const publisher = sameAddr(d.publisher, st.address);
  return (
    <li class="card dataset" data-testid={`dataset-${d.id}`}>
      <div class="card-top">
        <Badge kind="schema">{d.format}</Badge>
        <span class="muted">dataset #{d.id}</span>
        {!d.listed && <Badge kind="failed">unlisted</Badge>}
      </div>
      <h2>{d.provenance.source_job_id ? `Labels of ${JOB_KIND[d.provenance.mode] ?? "job"} #${d.provenance.source_job_id}` : "External dataset"}</h2>
      <p class="bounty">
        <Eth wei={d.price} unit={unit} /> <span class="muted">per licence</span>
      </p>
      <dl class="facts">
        <div>
          <dt>Source job</dt>
          <dd>
            {!d.provenance.source_job_id ? (
              "external"
            ) : d.provenance.mode === "court" ? (
              `court #${d.provenance.source_job_id}`
            ) : (
              <a href={d.provenance.mode === "consensus" ? `#/hub/${d.provenance.source_job_id}` : `#/jobs/${d.provenance.source_job_id}`}>
                {d.provenance.mode === "consensus" ? "consensus " : ""}#{d.provenance.source_job_id}
              </a>
            )}
          </dd>
        </div>
        <div>
          <dt>Quality</dt>
          <dd>{QUALITY_TEXT[d.provenance.mode] ?? d.provenance.mode}</dd>
        </div>
        <div>
          <dt>Annotators</dt>
          <dd>{d.provenance.annotators}</dd>
        </div>
        <div>
          <dt>Royalty shares</dt>
          <dd>
            {d.provenance.shares} {d.provenance.mode === "review" ? "tasks" : "labels"}
          </dd>
        </div>
        <div>
          <dt>Royalty</dt>
          <dd>{d.royalty_bps / 100}% to annotators</dd>
        </div>
        <div>
          <dt>Platform fee</dt>
          <dd>{d.fee_bps / 100}%</dd>
        </div>
        <div>
          <dt>Publisher</dt>
          <dd>
            <Addr a={d.publisher} me={st.address} />
          </dd>
        </div>
        <div>
          <dt>Published</dt>
          <dd>{date(d.published_at)}</dd>
        </div>
      </dl>
      <p class="roots">
        Package root <Hash h={d.root_hash} />
        <br />
        Raw data root <Hash h={d.provenance.data_root} />
      </p>
      {st.address ? (
        <div class="actions">
          {!publisher && (
            <Action run={purchase} kind="primary" disabled={!d.listed}>
              Buy licence
            </Action>
          )}
          <Action run={download} disabled={!d.available} title={d.available ? "" : "The package is not on this server"}>
            Download &amp; verify
          </Action>
        </div>
      ) : (
        <p class="muted">Sign in to buy a licence.</p>
      )}
      {verified && (
        <p class={verified.ok ? "ok-line" : "error"} data-testid="verified" data-root={verified.root}>
          {verified.ok ? "✓ Verified:" : "✕ Mismatch:"} {Math.round(verified.size / 1024)} KiB, 0G root {verified.root.slice(0, 12)}… {verified.ok ? "matches" : "differs from"} the registry's.
        </p>
      )}
      {d.format.startsWith("jsonl") && <Finetune d={d} />}
    </li>
  );
}

const FINAL = new Set(["Delivered", "UserAcknowledged", "Finished", "Failed"]);

/** Fine-tuning a model on a text dataset at the server's 0G provider: the
 * licence is checked on chain, the wallet signs the request, the page
 * follows the task's progress. */
function Finetune({ d }: { d: Dataset }) {
  const st = useStore(app);
  const broker = !!st.config?.broker;
  const [model, setModel] = useState("");
  const [fee, setFee] = useState("0");
  const models = useLoad(() => (broker ? get<FinetuneModel[]>("/api/finetune/models") : Promise.resolve([])), [broker]);
  const mine = useLoad(() => (broker && st.address ? get<FinetuneTask[]>("/api/finetune/tasks") : Promise.resolve([])), [broker, st.address]);
  if (!broker) {
    return (
      <details class="finetune" data-testid="finetune">
        <summary>Fine-tune a model on it</summary>
        <p class="callout" data-testid="no-broker">
          This server has no fine-tuning provider configured, so a request cannot be sent from here. Start the server with <code>labelmint serve --broker URL</code> (a 0G fine-tuning provider), or send it with <code>labelmint finetune start --provider URL --dataset {d.id} --model NAME</code>.
        </p>
      </details>
    );
  }
  const textModels = (models.data ?? []).filter((m) => m.data_type === "" || m.data_type === "text");
  const chosen = model || textModels[0]?.name || "";
  const tasks = (mine.data ?? []).filter((t) => t.dataset_id === d.id);
  const start = async () => {
    const wallet = app.get().wallet;
    if (!wallet) throw new Error("Connect your wallet first.");
    const prepared = await post<PreparedFinetune>(`/api/datasets/${d.id}/finetune/prepare`, { model: chosen, fee: fee.trim() || "0" });
    app.set({ busy: "Fine-tuning request: sign it in your wallet…" });
    let signature: Hex;
    try {
      signature = await wallet.signDigest(prepared.digest as Hex);
    } finally {
      app.set({ busy: null });
    }
    const task = await post<FinetuneTask>(`/api/datasets/${d.id}/finetune`, { request: prepared.request, signature });
    notify("ok", `Fine-tuning task ${task.task_id} started: ${chosen} on dataset ${d.id}.`);
    mine.reload();
  };
  return (
    <details class="finetune" open={tasks.length > 0} data-testid="finetune">
      <summary>Fine-tune a model on it</summary>
      <p class="muted">
        The request goes to this server's 0G fine-tuning provider, which fetches the dataset by its root and trains the model. Your licence is checked on chain first; your wallet signs the request (the provider recovers you from the signature).
      </p>
      {!models.data ? (
        <Loading error={models.error} what="the provider's models" />
      ) : (
        <div class="row3">
          <label class="field">
            Model
            <select value={chosen} onChange={(e) => setModel((e.target as HTMLSelectElement).value)}>
              {textModels.map((m) => (
                <option key={m.name} value={m.name}>
                  {m.name}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            Provider fee (wei)
            <input inputMode="numeric" value={fee} onInput={(e) => setFee((e.target as HTMLInputElement).value)} />
          </label>
        </div>
      )}
      <Action run={start} kind="primary" disabled={!st.address || !chosen}>
        Start fine-tuning
      </Action>
      {tasks.length > 0 && (
        <ul class="finetune-tasks" aria-label={`Fine-tuning tasks on dataset ${d.id}`}>
          {tasks.map((t) => (
            <FinetuneRow key={t.task_id} t={t} />
          ))}
        </ul>
      )}
    </details>
  );
}

/** One task, its progress polled from the provider until it is final. */
function FinetuneRow({ t }: { t: FinetuneTask }) {
  const [now, setNow] = useState<FinetuneTask | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const look = async () => {
      try {
        const v = await get<FinetuneTask>(`/api/finetune/tasks/${encodeURIComponent(t.task_id)}`);
        if (!live) return;
        setNow(v);
        setError(null);
        if (!v.done) timer = setTimeout(look, 1500);
      } catch (e) {
        if (!live) return;
        setError(String((e as Error).message ?? e));
        timer = setTimeout(look, 5000);
      }
    };
    void look();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [t.task_id]);
  const progress = now?.progress ?? "…";
  return (
    <li class="finetune-task" data-testid={`finetune-${t.task_id}`}>
      <strong>{t.model}</strong> · task <code>{t.task_id}</code> · fee {t.fee} wei ·{" "}
      <Badge kind={progress === "Failed" ? "failed" : FINAL.has(progress) ? "approved" : "pending"}>{progress}</Badge>
      {now?.output_root && (
        <>
          {" "}
          · model root <Hash h={now.output_root} /> <span class="muted">(as the provider names it; <code>labelmint finetune download --expect-root</code> verifies the bytes)</span>
        </>
      )}
      {error && <span class="error"> {error}</span>}
    </li>
  );
}
