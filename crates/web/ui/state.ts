// The application's state: server config, wallet, session, live balances,
// notices. Everything else lives in the pages.
import { api, ApiError, get, transient, post, type Balances, type DevAccount, type PermitToSign, type ServerConfig, type UnsignedTx } from "./api";
import { Store } from "./store";
import { connectInjected, devWallet, reconnectInjected, type Receipt, type Wallet } from "./wallet";

export interface Notice {
  id: number;
  kind: "info" | "ok" | "error";
  text: string;
  hash?: string;
}

export interface LiveEvent {
  kind: string;
  payload: any;
  at: number;
}

export const app = new Store({
  config: null as ServerConfig | null,
  devAccounts: [] as DevAccount[],
  wallet: null as Wallet | null,
  /** The signed-in address (the session's). */
  address: null as string | null,
  balances: null as Balances | null,
  /** Bumped when the balance changed (the header flashes). */
  balanceChanged: 0,
  /** Bumped on every live event: pages reload what they show. */
  tick: 0,
  events: [] as LiveEvent[],
  live: "off" as "off" | "connecting" | "on",
  notices: [] as Notice[],
  bootError: null as string | null,
  busy: null as string | null,
});

let noticeId = 0;
export function notify(kind: Notice["kind"], text: string, hash?: string) {
  const n = { id: ++noticeId, kind, text, hash };
  app.set({ notices: [...app.get().notices.slice(-3), n] });
  if (kind !== "error") setTimeout(() => dismiss(n.id), 6000);
}
export function dismiss(id: number) {
  app.set({ notices: app.get().notices.filter((n) => n.id !== id) });
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  const any = e as any;
  return any?.shortMessage ?? any?.message ?? String(e);
}

const WALLET_KEY = "labelmint:wallet";

/** Loads the server's configuration (and dev accounts), then restores a
 * session. The configuration is asked again after 1, 2, 4, then every 8 s
 * while the server cannot answer; the error is shown meanwhile. */
export async function boot() {
  let config: ServerConfig;
  let devAccounts: DevAccount[];
  for (let tries = 0; ; tries++) {
    try {
      config = await get<ServerConfig>("/api/config");
      devAccounts = config.dev ? await get<DevAccount[]>("/api/dev/accounts") : [];
      break;
    } catch (e) {
      app.set({ bootError: errorText(e) });
      if (!transient(e)) return;
      await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** tries, 8000)));
    }
  }
  app.set({ config, devAccounts, bootError: null });
  try {
    const me = await api<{ address: string }>("GET", "/api/auth/me").catch(() => null);
    if (me) {
      const saved = JSON.parse(localStorage.getItem(WALLET_KEY) ?? "null");
      let wallet: Wallet | null = null;
      if (saved?.kind === "dev") {
        const acct = devAccounts.find((a) => a.address.toLowerCase() === me.address.toLowerCase());
        if (acct) wallet = devWallet(config, acct.key, acct.role);
      } else if (saved?.kind === "eip1193") {
        wallet = await reconnectInjected(config, me.address).catch(() => null);
      }
      app.set({ address: me.address, wallet });
      startLive();
    }
  } catch (e) {
    // The workspace works signed out: a session that cannot be restored is reported, not fatal.
    notify("error", `The session could not be restored: ${errorText(e)}`);
  }
}

/** Signs in with Ethereum (EIP-4361): the server's nonce and message, the wallet's signature. */
export async function signIn(wallet: Wallet) {
  const n = await get<{ message: string }>(`/api/auth/nonce?address=${wallet.address}`);
  const signature = await wallet.signMessage(n.message);
  const s = await post<{ address: string }>("/api/auth/verify", { message: n.message, signature });
  localStorage.setItem(WALLET_KEY, JSON.stringify({ kind: wallet.kind, address: s.address }));
  app.set({ wallet, address: s.address, balances: null });
  startLive();
  notify("ok", `Signed in as ${s.address.slice(0, 8)}… with ${wallet.label}.`);
}

export async function connectDev(account: DevAccount) {
  const config = app.get().config!;
  await signIn(devWallet(config, account.key, account.role));
}

export async function connectBrowserWallet() {
  const config = app.get().config!;
  await signIn(await connectInjected(config));
}

export async function signOut() {
  await post("/api/auth/logout").catch(() => undefined);
  localStorage.removeItem(WALLET_KEY);
  stopLive();
  app.set({ wallet: null, address: null, balances: null, events: [] });
}

let source: EventSource | null = null;
// Every kind the server's feed sends (crates/server/src/indexer.rs feed_kind,
// the relayer's "submission"): a kind missing here is an update a page never sees.
const KINDS = ["balance", "submission", "review", "payout", "dispute", "licence", "claim", "batch", "job", "dataset", "token", "hub", "event", "lagged"];

async function refreshBalances() {
  const b = await get<Balances>("/api/me/balances").catch(() => null);
  if (b) app.set({ balances: b });
}

export function startLive() {
  stopLive();
  void refreshBalances();
  app.set({ live: "connecting" });
  source = new EventSource("/api/live");
  source.onopen = () => app.set({ live: "on" });
  source.onerror = () => app.set({ live: "connecting" });
  for (const kind of KINDS) {
    source.addEventListener(kind, (ev) => {
      let data: any = {};
      try {
        data = JSON.parse((ev as MessageEvent).data);
      } catch {
        /* keep-alive or malformed */
      }
      const st = app.get();
      const events = [{ kind, payload: data.payload, at: Date.now() }, ...st.events].slice(0, 50);
      if (kind === "balance" && st.balances) {
        const p = data.payload ?? {};
        const next = { ...st.balances, ...p };
        const changed = next.eth !== st.balances.eth || next.token !== st.balances.token;
        app.set({ balances: next, balanceChanged: changed ? st.balanceChanged + 1 : st.balanceChanged, events, tick: st.tick + 1 });
      } else {
        app.set({ events, tick: st.tick + 1 });
        if (kind === "lagged") void refreshBalances();
      }
    });
  }
}

export function stopLive() {
  source?.close();
  source = null;
  app.set({ live: "off" });
}

/** Has the wallet sign and send a transaction the server prepared, and waits for it. */
export async function sendAndWait(tx: UnsignedTx, what: string): Promise<Receipt> {
  const wallet = app.get().wallet;
  if (!wallet) throw new Error("Connect your wallet first.");
  app.set({ busy: `${what}: waiting for the wallet…` });
  try {
    const hash = await wallet.send(tx);
    app.set({ busy: `${what}: sent ${hash.slice(0, 10)}…, waiting for the block…` });
    const r = await wallet.wait(hash);
    if (r.status !== "success") {
      notify("error", `${what} reverted on chain.`, hash);
      throw new Error(`${what} reverted (transaction ${hash})`);
    }
    notify("ok", `${what}: mined in block ${r.blockNumber}.`, hash);
    return r;
  } finally {
    app.set({ busy: null });
  }
}

/** Has the wallet sign an EIP-2612 permit of the RewardToken to the market
 * (a job's escrow) or the registry (a licence) for exactly `value`: the
 * server gives the typed data (the token's own domain, the owner's nonce). */
export async function signPermit(spender: "market" | "registry", value: bigint, what: string): Promise<{ deadline: string; signature: string }> {
  const wallet = app.get().wallet;
  if (!wallet) throw new Error("Connect your wallet first.");
  const p = await post<PermitToSign>("/api/permits/prepare", { spender, value: value.toString() });
  app.set({ busy: `${what}: sign the permit in your wallet…` });
  try {
    const signature = await wallet.signTypedData(p.typed_data);
    return { deadline: p.deadline, signature };
  } finally {
    app.set({ busy: null });
  }
}
