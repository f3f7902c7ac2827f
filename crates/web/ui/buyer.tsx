// Buyer pages: the dataset catalogue with provenance, purchase from the
// wallet, and a download verified in the browser against the registry's root.
import { useState } from "preact/hooks";
import { ApiError, get, post, type Dataset } from "./api";
import { date, sameAddr } from "./format";
import { app, notify, sendAndWait } from "./state";
import { useStore } from "./store";
import { Action, Addr, Badge, Eth, Hash, Loading, useLoad } from "./ui";
import { zgRoot } from "./zgroot";

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
  const purchase = async () => {
    const tx = await post(`/api/datasets/${d.id}/purchase/prepare`, {});
    await sendAndWait(tx, `Licence for dataset ${d.id}`);
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
      <h2>{d.provenance.source_job_id ? `Labels of job #${d.provenance.source_job_id}` : "External dataset"}</h2>
      <p class="bounty">
        <Eth wei={d.price} /> <span class="muted">per licence</span>
      </p>
      <dl class="facts">
        <div>
          <dt>Source job</dt>
          <dd>{d.provenance.source_job_id ? <a href={`#/jobs/${d.provenance.source_job_id}`}>#{d.provenance.source_job_id}</a> : "external"}</dd>
        </div>
        <div>
          <dt>Quality</dt>
          <dd>{d.provenance.mode === "review" ? "creator review" : d.provenance.mode}</dd>
        </div>
        <div>
          <dt>Annotators</dt>
          <dd>{d.provenance.annotators}</dd>
        </div>
        <div>
          <dt>Royalty shares</dt>
          <dd>{d.provenance.shares} tasks</dd>
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
      {d.format.startsWith("jsonl") && (
        <details class="finetune">
          <summary>Fine-tune a model on it</summary>
          <p class="muted">Fine-tuning requests go to a 0G Compute broker (Qwen2.5-0.5B-Instruct and others). This server has no broker configured, so the request cannot be sent from here; the CLI's <code>labelmint finetune</code> sends it with a broker URL.</p>
        </details>
      )}
    </li>
  );
}
