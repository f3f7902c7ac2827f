// The labelmint workspace: shell, header (wallet, live balances), routes.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { JobList, MyWork, Workspace } from "./annotator";
import { Catalogue } from "./buyer";
import { CreateJob, CreatorJob, MyJobs } from "./creator";
import { CreatorHubJob } from "./creatorhub";
import { Governance } from "./governance";
import { HubJobPage } from "./hub";
import { eth, short } from "./format";
import { app, boot, connectBrowserWallet, connectDev, dismiss, errorText, signOut } from "./state";
import { useStore } from "./store";
import { Hash, Modal } from "./ui";
import { injected } from "./wallet";

function useHash(): string {
  const [h, setH] = useState(location.hash || "#/");
  useEffect(() => {
    const on = () => {
      setH(location.hash || "#/");
      window.scrollTo(0, 0);
    };
    window.addEventListener("hashchange", on);
    // The address may have changed before this effect ran (after the first frame).
    if ((location.hash || "#/") !== h) setH(location.hash || "#/");
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return h;
}

function Route({ hash }: { hash: string }) {
  const path = hash.replace(/^#/, "") || "/";
  let m: RegExpMatchArray | null;
  if ((m = path.match(/^\/jobs\/(\d+)$/))) return <Workspace id={Number(m[1])} />;
  if ((m = path.match(/^\/hub\/(\d+)$/))) return <HubJobPage id={Number(m[1])} />;
  if (path === "/work") return <MyWork />;
  if (path === "/create") return <CreateJob />;
  if (path === "/creator") return <MyJobs />;
  if ((m = path.match(/^\/creator\/jobs\/(\d+)$/))) return <CreatorJob id={Number(m[1])} />;
  if ((m = path.match(/^\/creator\/hub\/(\d+)$/))) return <CreatorHubJob id={Number(m[1])} />;
  if (path === "/datasets") return <Catalogue />;
  if (path === "/governance") return <Governance />;
  return <JobList />;
}

const NAV: [string, string, string][] = [
  ["#/", "Jobs", "annotate"],
  ["#/work", "My work", "annotate"],
  ["#/creator", "My jobs", "create"],
  ["#/create", "Create job", "create"],
  ["#/datasets", "Datasets", "buy"],
];

function WalletModal({ onClose }: { onClose(): void }) {
  const st = useStore(app);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const go = async (f: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
      onClose();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const hasInjected = !!injected();
  return (
    <Modal title="Connect a wallet" onClose={onClose}>
      <p class="muted">You sign a Sign-In with Ethereum message; the server never sees your key.</p>
      <section class="wallet-option">
        <h3>Browser wallet</h3>
        <p class="muted">MetaMask or any EIP-1193 wallet, on chain {st.config?.chain_id}.</p>
        <button type="button" class="btn primary" disabled={!hasInjected || busy} onClick={() => go(connectBrowserWallet)}>
          {hasInjected ? "Connect browser wallet" : "No browser wallet detected"}
        </button>
      </section>
      {st.config?.dev && (
        <section class="wallet-option dev">
          <h3>
            Dev wallet <span class="badge b-dev">DEV · local chain only</span>
          </h3>
          <p class="muted">
            Funded test accounts of the embedded chain (<code>labelmint serve --dev</code>). Their keys are public test keys: never use them elsewhere. The browser signs; the server relays to the local chain.
          </p>
          <ul class="dev-accounts">
            {st.devAccounts
              .filter((a) => ["creator", "annotator", "buyer"].includes(a.role))
              .map((a, i) => (
                <li key={a.address}>
                  <button type="button" class="btn" disabled={busy} onClick={() => go(() => connectDev(a))} aria-label={`Dev wallet: ${a.role} ${a.address}`}>
                    <strong>{a.role}</strong> <code>{short(a.address)}</code> <span class="muted">#{i}</span>
                  </button>
                </li>
              ))}
          </ul>
        </section>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </Modal>
  );
}

function Header() {
  const st = useStore(app);
  const [open, setOpen] = useState(false);
  const [flash, setFlash] = useState(false);
  useEffect(() => {
    if (!st.balanceChanged) return;
    setFlash(true);
    const t = setTimeout(() => setFlash(false), 2500);
    return () => clearTimeout(t);
  }, [st.balanceChanged]);
  const hash = location.hash || "#/";
  return (
    <header class="top">
      <a class="brand" href="#/" aria-label="labelmint home">
        <span class="logo" aria-hidden="true">
          ▶
        </span>
        labelmint
      </a>
      {st.config?.dev && <span class="badge b-dev" title="labelmint serve --dev: the embedded local chain">DEV CHAIN {st.config.chain_id}</span>}
      <nav aria-label="Main">
        {NAV.map(([href, name]) => (
          <a key={href} href={href} class={hash === href || (href !== "#/" && hash.startsWith(href + "/")) ? "on" : ""} aria-current={hash === href ? "page" : undefined}>
            {name}
          </a>
        ))}
      </nav>
      <span class="spacer" />
      {st.address ? (
        <div class="account">
          {st.balances && (
            <div class={`balances ${flash ? "flash" : ""}`} aria-live="polite" data-testid="balances">
              <span title={`${st.balances.eth} wei`} data-testid="eth-balance">
                {eth(st.balances.eth)} <small>ETH</small>
              </span>
              <span title={`${st.balances.token} units`} data-testid="token-balance">
                {eth(st.balances.token, 2)} <small>LMR</small>
              </span>
            </div>
          )}
          <span class={`live ${st.live}`} title={st.live === "on" ? "Live updates connected" : "Reconnecting live updates…"} aria-label={`live updates ${st.live}`} />
          <div class="who">
            <code data-testid="address" title={st.address}>
              {short(st.address)}
            </code>
            <small class={st.wallet?.kind === "dev" ? "dev-label" : ""}>{st.wallet?.label ?? "wallet not connected"}</small>
          </div>
          <button type="button" class="btn ghost small" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      ) : (
        <button type="button" class="btn primary" onClick={() => setOpen(true)}>
          Connect wallet
        </button>
      )}
      {st.address && !st.wallet && (
        <button type="button" class="btn small" onClick={() => setOpen(true)}>
          Reconnect wallet
        </button>
      )}
      {open && <WalletModal onClose={() => setOpen(false)} />}
    </header>
  );
}

function Notices() {
  const st = useStore(app);
  return (
    <div class="notices" aria-live="polite">
      {st.busy && (
        <div class="notice info busy" role="status">
          <span class="spinner" aria-hidden="true" /> {st.busy}
        </div>
      )}
      {st.notices.map((n) => (
        <div key={n.id} class={`notice ${n.kind}`} role={n.kind === "error" ? "alert" : "status"}>
          <span>{n.text}</span>
          {n.hash && <Hash h={n.hash} label="tx" />}
          <button type="button" class="btn ghost small" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}

function App() {
  const st = useStore(app);
  const hash = useHash();
  if (st.bootError) return <p class="error">The server did not answer: {st.bootError}</p>;
  if (!st.config) return <p class="boot">Connecting to the server…</p>;
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <Header />
      <main id="main" tabIndex={-1}>
        <Route hash={hash} />
      </main>
      <Notices />
      <footer class="foot">
        labelmint · chain {st.config.chain_id} · market <code>{short(st.config.market)}</code> · hub <code>{short(st.config.hub)}</code> · registry <code>{short(st.config.registry)}</code> · <a href="#/governance">Governance</a> · <a href="/openapi.json">API</a>
      </footer>
    </>
  );
}

void boot();
render(<App />, document.getElementById("app")!);
