// The creator's page of a QualityHub consensus job: terms and phase, the
// tally per task, the gold key kept in this browser (revealed in the reveal
// phase), closing the job after its settle phase, the refund credited, and
// publishing the decided labels as a dataset sold with royalties.
import { useEffect, useState } from "preact/hooks";
import { get, post, type HubJobDetail, type HubTask, type StakeView, type UnsignedTx } from "./api";
import { date, eth, sameAddr } from "./format";
import { downloadGoldKeys, goldCommitmentOf, goldKeyFor, loadGoldKeys } from "./gold";
import { PublishPanel } from "./creator";
import { classNames, DevClock, LMR, PHASE_TEXT, PhaseClock } from "./hub";
import { app, sendAndWait } from "./state";
import { useStore } from "./store";
import { Action, Addr, Badge, Loading, useLoad } from "./ui";

const STATE_TEXT: Record<string, string> = {
  empty: "nothing revealed",
  consensus: "majority",
  gold: "gold answer",
  escalated: "with the arbiter",
  ruled: "ruled",
  undecided: "undecided",
};

export function CreatorHubJob(p: { id: number }) {
  const st = useStore(app);
  const me = st.address;
  const [poll, setPoll] = useState(0);
  useEffect(() => {
    const t = setInterval(() => document.visibilityState === "visible" && setPoll((n) => n + 1), 4000);
    return () => clearInterval(t);
  }, []);
  const job = useLoad(() => get<HubJobDetail>(`/api/hub/jobs/${p.id}`), [p.id, st.tick, poll]);
  const tasks = useLoad(() => get<HubTask[]>(`/api/hub/jobs/${p.id}/tasks?limit=500`), [p.id, st.tick, poll]);
  const account = useLoad(() => (me ? get<StakeView>("/api/hub/stake") : Promise.resolve(null)), [me, st.tick, poll]);
  const reload = () => {
    job.reload();
    tasks.reload();
    account.reload();
  };
  const j = job.data;
  if (!j || !tasks.data) return <Loading error={job.error ?? tasks.error} what="the consensus job" />;
  const classes = classNames(j);
  const mine = sameAddr(j.creator, me);
  const key = me ? goldKeyFor(me, j.id, j.data_root) : undefined;
  const goldOf = new Map((key?.tasks ?? []).map((t, i) => [t, key!.labels[i]]));
  const canClose = j.status === "open" && j.now >= j.settle_end;
  const revealGold = async () => {
    if (!key) throw new Error("The gold key of this job is not in this browser.");
    if (goldCommitmentOf(j.creator, key.tasks, key.labels, key.salt) !== key.commitment) throw new Error("The saved gold key is damaged: its commitment does not match.");
    const tx = await post<UnsignedTx>(`/api/hub/jobs/${j.id}/gold/prepare`, { task_ids: key.tasks, labels: key.labels, salt: key.salt });
    await sendAndWait(tx, `Reveal the gold key of hub job ${j.id} (${key.tasks.length} tasks)`);
    reload();
  };
  const close = async () => {
    const tx = await post<UnsignedTx>(`/api/hub/jobs/${j.id}/close/prepare`);
    await sendAndWait(tx, `Close hub job ${j.id}`);
    reload();
  };
  const withdraw = async () => {
    const tx = await post<UnsignedTx>("/api/hub/withdraw/prepare");
    await sendAndWait(tx, `Withdraw ${eth(account.data!.credit)} LMR`);
    reload();
  };
  return (
    <section class="hub creator-hub">
      <div class="page-head row">
        <div>
          <p class="crumbs">
            <a href="#/creator">My jobs</a> › consensus job #{j.id}
          </p>
          <h1>{j.metadata?.title ?? `Hub job ${j.id}`}</h1>
          <p>
            <Badge kind={`phase-${j.phase}`}>{PHASE_TEXT[j.phase]}</Badge> <PhaseClock j={j} /> {j.status === "closed" && <Badge kind="completed">closed on chain</Badge>}
          </p>
          <p class="muted">
            creator <Addr a={j.creator} me={me} /> · arbiter <Addr a={j.arbiter} /> (terms {j.arbiter_terms}, fee {eth(j.arbiter_fee)} LMR)
          </p>
        </div>
        <dl class="facts wide" aria-label="Job accounts">
          <div>
            <dt>Labels per task (k)</dt>
            <dd>{j.replication}</dd>
          </div>
          <div>
            <dt>Reward per label</dt>
            <dd>{LMR(j.reward_per_label)}</dd>
          </div>
          <div>
            <dt>Stake per label</dt>
            <dd>{LMR(j.stake_per_label)}</dd>
          </div>
          <div>
            <dt>Escrow held</dt>
            <dd data-testid="escrow-held">{LMR(j.escrow_held)}</dd>
          </div>
          <div>
            <dt>Gold bond</dt>
            <dd>{LMR(j.gold_bond)}</dd>
          </div>
          <div>
            <dt>Slash pool</dt>
            <dd>{LMR(j.slash_pool)}</dd>
          </div>
          <div>
            <dt>Batches</dt>
            <dd>
              {j.revealed}/{j.batches} revealed
            </dd>
          </div>
          <div>
            <dt>Reveals</dt>
            <dd>
              {date(j.commit_end)} – {date(j.reveal_end)}
            </dd>
          </div>
        </dl>
      </div>
      <div class="hub-grid">
        <div class="hub-main">
          <section class="panel" aria-labelledby="tally-title">
            <h2 id="tally-title">Tasks</h2>
            <table class="table" aria-label="Tasks and their tally">
              <thead>
                <tr>
                  <th>Task</th>
                  <th>Labels committed</th>
                  <th>Gold</th>
                  <th>Tally</th>
                </tr>
              </thead>
              <tbody>
                {tasks.data.map((t) => {
                  const c = t.consensus;
                  const g = goldOf.get(t.index);
                  return (
                    <tr key={t.index} data-testid={`hub-task-${t.index}`}>
                      <td>
                        {t.index} <span class="muted">{t.path}</span>
                      </td>
                      <td>
                        {t.committed}/{j.replication}
                      </td>
                      <td>{g !== undefined ? <Badge kind="hub">gold: {classes[g]}</Badge> : ""}</td>
                      <td>
                        {!c ? (
                          <span class="muted">hidden until the reveal phase</span>
                        ) : c.state === "empty" ? (
                          <span class="muted">nothing revealed</span>
                        ) : (
                          <>
                            {STATE_TEXT[c.state] ?? c.state}: <strong>{classes[c.label]}</strong> ({c.votes} of {c.revealed} revealed)
                          </>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </section>
        </div>
        <aside class="hub-side">
          <section class="panel" aria-labelledby="gold-title" data-testid="gold-panel">
            <h2 id="gold-title">Gold key</h2>
            <p>
              {j.gold_tasks} gold task{j.gold_tasks === 1 ? "" : "s"} ({(j.gold_rate_bps / 100).toFixed(1)} %) ·{" "}
              {j.gold_revealed ? <Badge kind="approved">revealed</Badge> : <Badge kind="pending">not revealed</Badge>}
            </p>
            {key ? (
              <p class="ok-line" data-testid="gold-key-saved">
                ✓ The key is saved in this browser: tasks {key.tasks.join(", ")}.
              </p>
            ) : (
              <p class="error">The key of this job is not in this browser.{mine ? " Without it the gold bond goes to the annotators when the job closes." : ""}</p>
            )}
            {!j.gold_revealed && j.phase === "commit" && <p class="muted">Reveal it between {date(j.commit_end)} and {date(j.reveal_end)}: come back in the reveal phase.</p>}
            {!j.gold_revealed && j.phase === "reveal" && (
              <Action run={revealGold} kind="primary" disabled={!key}>
                Reveal the gold key
              </Action>
            )}
            {!j.gold_revealed && (j.phase === "settle" || j.phase === "closed") && <p class="error">The reveal phase is over and the key was not revealed: the gold bond goes to the slash pool at close.</p>}
            <div class="salt-warning" role="note">
              <strong>The key stays in this browser.</strong> Losing it forfeits the gold bond. Export your keys and keep the file private until the reveal.
            </div>
            {me && (
              <button type="button" class="btn" onClick={() => downloadGoldKeys(me)} disabled={loadGoldKeys(me).length === 0}>
                Export gold keys
              </button>
            )}
          </section>
          <section class="panel" aria-labelledby="close-title">
            <h2 id="close-title">Close and refund</h2>
            {j.status === "closed" ? (
              <p>The job is closed: what was left of the escrow{j.gold_revealed ? " and the gold bond" : ""} is credited to the creator.</p>
            ) : canClose ? (
              <>
                <p>The settle phase is over: closing credits you the escrow left ({LMR(j.escrow_held)}){j.gold_revealed ? <> and the gold bond ({LMR(j.gold_bond)})</> : " (the unrevealed gold bond goes to the slash pool)"}.</p>
                <Action run={close} kind="primary">
                  Close job
                </Action>
              </>
            ) : (
              <p class="muted">The job can be closed after {date(j.settle_end)} (the end of the settle phase).</p>
            )}
            {account.data && (
              <>
                <p>
                  Your credit in the hub: <strong data-testid="creator-credit">{LMR(account.data.credit)}</strong>
                </p>
                <Action run={withdraw} disabled={BigInt(account.data.credit) === 0n}>
                  Withdraw credit
                </Action>
              </>
            )}
          </section>
          {mine && (
            <PublishPanel
              source="hub"
              jobId={j.id}
              packagePath={`/api/hub/jobs/${j.id}/package`}
              settled={j.status === "closed"}
              canPublish={mine}
              what="every task the consensus decided (the majority, the gold answer or the arbiter's ruling) as JSONL with the texts"
              unsettled={<>The registry accepts a consensus job's dataset once the job is closed on chain: close it above after its settle phase ({date(j.settle_end)}).</>}
              shares="their agreeing labels"
            />
          )}
          {st.config?.dev && <DevClock j={j} onMoved={reload} />}
        </aside>
      </div>
    </section>
  );
}
