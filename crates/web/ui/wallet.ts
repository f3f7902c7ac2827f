// Wallets: any EIP-1193 provider (MetaMask and others), and the dev wallet
// that `labelmint serve --dev` offers (test keys of the local chain only;
// the browser signs, the server relays to the embedded chain).
import { createClient, custom, defineChain, http, type Chain, type Client, type Hex } from "viem";
import { sendTransaction, signMessage, signTypedData, waitForTransactionReceipt } from "viem/actions";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { ServerConfig, UnsignedTx } from "./api";

export interface Receipt {
  hash: Hex;
  status: "success" | "reverted";
  blockNumber: bigint;
  /** The transaction's logs (address, topics, data), in order. */
  logs: { address: Hex; topics: Hex[]; data: Hex }[];
}

export interface Wallet {
  kind: "dev" | "eip1193";
  /** What the header shows. */
  label: string;
  address: Hex;
  signMessage(message: string): Promise<Hex>;
  signTypedData(typed: any): Promise<Hex>;
  /** EIP-191 `personal_sign` of 32 raw bytes (a digest). */
  signDigest(digest: Hex): Promise<Hex>;
  /** Sends a transaction the server prepared; its hash. */
  send(tx: UnsignedTx): Promise<Hex>;
  /** Waits until `hash` is mined. */
  wait(hash: Hex): Promise<Receipt>;
}

export function chainOf(config: ServerConfig, rpc: string): Chain {
  return defineChain({
    id: config.chain_id,
    name: config.dev ? "labelmint devnet" : `chain ${config.chain_id}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpc] } },
  });
}

/** EIP-712 typed data as the server answers it (a batch's `SubmitBatch`
 * or a token's `Permit`), in viem's shape: its integers as bigints. */
function typedArgs(typed: any) {
  const types = { ...typed.types };
  delete types.EIP712Domain;
  const m = typed.message;
  const message =
    typed.primaryType === "Permit"
      ? { ...m, value: BigInt(m.value), nonce: BigInt(m.nonce), deadline: BigInt(m.deadline) }
      : {
          ...m,
          jobId: BigInt(m.jobId),
          nonce: BigInt(m.nonce),
          deadline: BigInt(m.deadline),
          taskIds: (m.taskIds as number[]).map(Number),
        };
  return {
    domain: { ...typed.domain, chainId: Number(typed.domain.chainId) },
    types,
    primaryType: typed.primaryType,
    message,
  } as const;
}

function txArgs(tx: UnsignedTx) {
  return {
    to: tx.to as Hex,
    data: tx.data as Hex,
    value: BigInt(tx.value),
    // The server's estimate with a margin (state may move before mining).
    gas: tx.gas ? (BigInt(tx.gas) * 13n) / 10n + 20_000n : undefined,
  };
}

async function waitWith(client: Client, hash: Hex): Promise<Receipt> {
  const r = await waitForTransactionReceipt(client, { hash, pollingInterval: 250, timeout: 120_000 });
  const logs = r.logs.map((l) => ({ address: l.address, topics: [...l.topics] as Hex[], data: l.data }));
  return { hash, status: r.status, blockNumber: r.blockNumber, logs };
}

class DevWallet implements Wallet {
  kind = "dev" as const;
  label: string;
  address: Hex;
  private account: PrivateKeyAccount;
  private client: Client;
  constructor(config: ServerConfig, key: Hex, role: string) {
    this.account = privateKeyToAccount(key);
    this.address = this.account.address;
    this.label = `Dev wallet (${role})`;
    const rpc = location.origin + "/api/dev/rpc";
    const chain = chainOf(config, rpc);
    const transport = http(rpc, { retryCount: 0 });
    this.client = createClient({ account: this.account, chain, transport, pollingInterval: 250 });
  }
  signMessage(message: string) {
    return this.account.signMessage({ message });
  }
  signTypedData(typed: any) {
    return this.account.signTypedData(typedArgs(typed) as any);
  }
  signDigest(digest: Hex) {
    return this.account.signMessage({ message: { raw: digest } });
  }
  send(tx: UnsignedTx) {
    return sendTransaction(this.client, { account: this.account, chain: this.client.chain, ...txArgs(tx) });
  }
  wait(hash: Hex) {
    return waitWith(this.client, hash);
  }
}

export function devWallet(config: ServerConfig, key: string, role: string): Wallet {
  return new DevWallet(config, key as Hex, role);
}

/** The injected EIP-1193 provider, if the browser has one. */
export function injected(): any | null {
  return (globalThis as any).ethereum ?? null;
}

class InjectedWallet implements Wallet {
  kind = "eip1193" as const;
  label: string;
  address: Hex;
  private client: Client;
  private chain: Chain;
  constructor(config: ServerConfig, provider: any, address: Hex) {
    this.address = address;
    this.label = provider.isMetaMask ? "MetaMask" : "Browser wallet";
    this.chain = chainOf(config, config.rpc_url);
    const transport = custom(provider);
    this.client = createClient({ account: address, chain: this.chain, transport, pollingInterval: 1000 });
  }
  signMessage(message: string) {
    return signMessage(this.client, { account: this.address, message });
  }
  signTypedData(typed: any) {
    return signTypedData(this.client, { account: this.address, ...(typedArgs(typed) as any) });
  }
  signDigest(digest: Hex) {
    return signMessage(this.client, { account: this.address, message: { raw: digest } });
  }
  send(tx: UnsignedTx) {
    return sendTransaction(this.client, { account: this.address, chain: this.chain, ...txArgs(tx) });
  }
  wait(hash: Hex) {
    return waitWith(this.client, hash);
  }
}

/** Asks the injected wallet for an account and for the server's chain. */
export async function connectInjected(config: ServerConfig): Promise<Wallet> {
  const provider = injected();
  if (!provider) throw new Error("No browser wallet found (install MetaMask or another EIP-1193 wallet).");
  const accounts: string[] = await provider.request({ method: "eth_requestAccounts" });
  if (!accounts.length) throw new Error("The wallet shared no account.");
  const chainHex = "0x" + config.chain_id.toString(16);
  const current: string = await provider.request({ method: "eth_chainId" });
  if (current.toLowerCase() !== chainHex) {
    try {
      await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: chainHex }] });
    } catch {
      await provider.request({
        method: "wallet_addEthereumChain",
        params: [
          {
            chainId: chainHex,
            chainName: config.dev ? "labelmint devnet" : `labelmint chain ${config.chain_id}`,
            nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
            rpcUrls: [config.rpc_url],
          },
        ],
      });
    }
  }
  return new InjectedWallet(config, provider, accounts[0] as Hex);
}

/** Reconnects to an injected wallet that already shared `address` (no prompt). */
export async function reconnectInjected(config: ServerConfig, address: string): Promise<Wallet | null> {
  const provider = injected();
  if (!provider) return null;
  const accounts: string[] = await provider.request({ method: "eth_accounts" });
  const a = accounts.find((x) => x.toLowerCase() === address.toLowerCase());
  return a ? new InjectedWallet(config, provider, a as Hex) : null;
}
