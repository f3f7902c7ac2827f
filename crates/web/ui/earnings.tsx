// Royalties and sale proceeds: what the DatasetRegistry holds for the
// signed-in account (each job pool of a sold dataset, and credits), with a
// withdrawal per line. Annotators see their royalty share; creators their
// sale proceeds.
import { get, post, type Royalties, type UnsignedTx } from "./api";
import { eth, unitOf } from "./format";
import { app, sendAndWait } from "./state";
import { useStore } from "./store";
import { Action, Eth, Loading, useLoad } from "./ui";

const SOURCE_TEXT: Record<string, string> = { market: "review job", hub: "consensus job", court: "court job" };

export function Earnings() {
  const st = useStore(app);
  const r = useLoad(() => (st.address ? get<Royalties>("/api/me/royalties") : Promise.resolve(null)), [st.address, st.tick]);
  if (!st.address) return null;
  if (!r.data) return <Loading error={r.error} what="royalties" />;
  const { pools, credits } = r.data;
  const withdrawPool = async (p: Royalties["pools"][number]) => {
    const tx = await post<UnsignedTx>("/api/royalties/withdraw/prepare", { source: p.source, job_id: p.job_id, token: p.token });
    await sendAndWait(tx, `Withdraw ${eth(p.amount)} ${unitOf(p.token)} from ${SOURCE_TEXT[p.source] ?? p.source} #${p.job_id}`);
    r.reload();
  };
  const withdrawCredit = async (c: Royalties["credits"][number]) => {
    const tx = await post<UnsignedTx>("/api/me/registry-credit/withdraw/prepare", { token: c.token });
    await sendAndWait(tx, `Withdraw ${eth(c.amount)} ${unitOf(c.token)} of registry credit`);
    r.reload();
  };
  return (
    <section class="panel earnings" aria-labelledby="earnings-title" data-testid="earnings">
      <h2 id="earnings-title">Royalties and sale proceeds</h2>
      {pools.length === 0 && credits.length === 0 ? (
        <p class="muted">Nothing to withdraw. Each sale of a dataset made from your labels pays you a royalty share, pro rata to your accepted labels; creators receive the rest of the price.</p>
      ) : (
        <ul class="earning-list">
          {pools.map((p) => (
            <li key={`${p.source}-${p.job_id}-${p.token}`} data-testid={`royalty-${p.source}-${p.job_id}`}>
              <span>
                <Eth wei={p.amount} unit={unitOf(p.token)} /> from {SOURCE_TEXT[p.source] ?? p.source} #{p.job_id}{" "}
                <span class="muted">
                  (dataset{p.datasets.length > 1 ? "s" : ""} {p.datasets.map((d) => `#${d}`).join(", ")})
                </span>
              </span>
              <Action run={() => withdrawPool(p)} kind="primary">
                Withdraw
              </Action>
            </li>
          ))}
          {credits.map((c) => (
            <li key={`credit-${c.token}`}>
              <span>
                <Eth wei={c.amount} unit={unitOf(c.token)} /> of registry credit <span class="muted">(external datasets' proceeds, fees, overpayments)</span>
              </span>
              <Action run={() => withdrawCredit(c)}>Withdraw</Action>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
