// Governance in the open: every parameter change the Timelock holds, what it
// will do and when it can run (GET /api/governance).
import { useEffect, useState } from "preact/hooks";
import { get, type Governance as GovernanceView } from "./api";
import { date, duration } from "./format";
import { app } from "./state";
import { useStore } from "./store";
import { Addr, Badge, Hash, Loading, useLoad } from "./ui";

const KIND: Record<string, string> = { waiting: "pending", ready: "open", done: "ok", cancelled: "cancelled", unknown: "muted" };

export function Governance() {
  const st = useStore(app);
  const [beat, setBeat] = useState(0);
  // Proposals and their countdowns move with the chain: asked again every 15 s.
  useEffect(() => {
    const t = setInterval(() => setBeat((b) => b + 1), 15_000);
    return () => clearInterval(t);
  }, []);
  const view = useLoad(() => get<GovernanceView>("/api/governance"), [st.tick, beat]);
  if (!view.data) return <Loading error={view.error} what="the Timelock's operations" />;
  const g = view.data;
  return (
    <section>
      <h1>Governance</h1>
      <p class="muted">
        The fees, the royalty share, the job sources, pausers and token roles change only through the Timelock <Addr a={g.timelock} />: a change is proposed in the open and can run
        only after the delay of <strong data-testid="min-delay">{duration(Number(g.min_delay))}</strong> ({g.min_delay} s), so nobody is surprised by a new fee. Pausing stays immediate.
      </p>
      {g.operations.length === 0 ? (
        <p class="callout">No change has been proposed.</p>
      ) : (
        <table class="table" aria-label="Timelock operations" data-testid="operations">
          <thead>
            <tr>
              <th>Change</th>
              <th>State</th>
              <th>Can run</th>
              <th>Proposed</th>
            </tr>
          </thead>
          <tbody>
            {g.operations.map((o) => (
              <tr key={o.id} data-testid="operation" data-state={o.state}>
                <td>
                  {o.calls.map((c, i) => (
                    <div key={i}>
                      <code class="call">{c.description.split(" ")[0]}</code> <code class="muted args" title={c.data}>{c.description.split(" ").slice(1).join(" ")}</code>
                    </div>
                  ))}
                  <small class="muted">
                    id <Hash h={o.id} />
                  </small>
                </td>
                <td>
                  <Badge kind={KIND[o.state] ?? "muted"}>{o.state}</Badge>
                </td>
                <td>
                  {o.state === "waiting" ? (
                    <>
                      in {duration(o.ready_at - g.now)} <small class="muted">({date(o.ready_at)})</small>
                    </>
                  ) : o.state === "ready" ? (
                    "now, by anyone"
                  ) : o.executed_tx ? (
                    <Hash h={o.executed_tx} label="ran" />
                  ) : o.cancelled_tx ? (
                    <Hash h={o.cancelled_tx} label="cancelled" />
                  ) : (
                    "—"
                  )}
                </td>
                <td>
                  {date(o.scheduled_at)} <Hash h={o.scheduled_tx} label="tx" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
