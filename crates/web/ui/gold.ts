// A consensus job's gold key (which tasks are gold, their answers, the salt):
// made in the creator's browser, saved and read back here before the job is
// created (only its commitment goes on chain), exported as a file, and used
// to reveal the key in the reveal phase.
import { concat, keccak256, toHex, type Hex } from "viem";
import { app } from "./state";

/** What revealing a job's gold key needs, kept in this browser only. */
export interface GoldKey {
  chainId: number;
  hub: string;
  creator: string;
  dataRoot: string;
  /** Gold task ids, ascending. */
  tasks: number[];
  /** The answer of each, in the same order. */
  labels: number[];
  salt: Hex;
  commitment: Hex;
  createdAt: number;
  /** The hub job it belongs to, once created. */
  jobId?: number;
  txHash?: string;
}

function goldKeyName(creator: string): string {
  const c = app.get().config!;
  return `labelmint:hub-gold:${c.chain_id}:${c.hub.toLowerCase()}:${creator.toLowerCase()}`;
}

export function loadGoldKeys(creator: string): GoldKey[] {
  try {
    return JSON.parse(localStorage.getItem(goldKeyName(creator)) ?? "{}").entries ?? [];
  } catch {
    return [];
  }
}

function storeGoldKeys(creator: string, entries: GoldKey[]) {
  localStorage.setItem(goldKeyName(creator), JSON.stringify({ v: 1, entries }));
}

/** Saves `k` and reads it back: a key that is not stored must not be committed. */
export function saveGoldKey(k: GoldKey) {
  const others = loadGoldKeys(k.creator).filter((x) => x.commitment.toLowerCase() !== k.commitment.toLowerCase());
  storeGoldKeys(k.creator, [...others, k]);
  if (!loadGoldKeys(k.creator).some((x) => x.commitment === k.commitment && x.salt === k.salt)) {
    throw new Error("This browser did not keep the gold key (storage full or disabled): the job was not created.");
  }
}

/** Records which job a saved key belongs to. */
export function linkGoldKey(creator: string, commitment: string, jobId: number, txHash?: string) {
  storeGoldKeys(
    creator,
    loadGoldKeys(creator).map((k) => (k.commitment.toLowerCase() === commitment.toLowerCase() ? { ...k, jobId, txHash: txHash ?? k.txHash } : k)),
  );
}

/** The key of hub job `jobId` over `dataRoot`: the one linked to it (from
 * the creation's `JobCreated` log), else the newest unlinked key for the same
 * data (a creation whose receipt this browser never saw; never linked on a
 * guess: a wrong key only makes `revealGold` revert, it is not stored). */
export function goldKeyFor(creator: string, jobId: number, dataRoot: string): GoldKey | undefined {
  const all = loadGoldKeys(creator);
  return (
    all.find((k) => k.jobId === jobId) ??
    all
      .filter((k) => k.jobId === undefined && k.dataRoot.toLowerCase() === dataRoot.toLowerCase())
      .sort((a, b) => b.createdAt - a.createdAt)[0]
  );
}

/** Task ids as the hub packs them: big-endian uint32, 4 bytes each. */
export function packTasks(tasks: number[]): Hex {
  const b = new Uint8Array(tasks.length * 4);
  const v = new DataView(b.buffer);
  tasks.forEach((t, i) => v.setUint32(i * 4, t));
  return toHex(b);
}

/** `keccak256(creator ‖ tasks ‖ labels ‖ salt)`, as `createJob` takes it and `revealGold` opens it. */
export function goldCommitmentOf(creator: string, tasks: number[], labels: number[], salt: Hex): Hex {
  return keccak256(concat([creator as Hex, packTasks(tasks), toHex(Uint8Array.from(labels)), salt]));
}

export function randomSalt(): Hex {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return toHex(b);
}

export function downloadGoldKeys(creator: string) {
  const c = app.get().config!;
  const file = {
    what: "labelmint QualityHub gold keys: revealing a job's key needs them; keep this file private until the reveal",
    chain_id: c.chain_id,
    hub: c.hub,
    creator,
    exported_at: new Date().toISOString(),
    entries: loadGoldKeys(creator),
  };
  const url = URL.createObjectURL(new Blob([JSON.stringify(file, null, 2)], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = `labelmint-gold-keys-${c.chain_id}-${creator.slice(0, 10).toLowerCase()}.json`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

/** `JobCreated(uint256,address,bytes32,uint32,uint8,uint256,uint32)`'s topic. */
const JOB_CREATED = keccak256(toHex("JobCreated(uint256,address,bytes32,uint32,uint8,uint256,uint32)"));

/** The id of the hub job `creator` created in a transaction with these
 * `logs` (the hub's `JobCreated`), or `undefined`. */
export function createdHubJob(logs: { address: Hex; topics: Hex[] }[], hub: string, creator: string): number | undefined {
  const l = logs.find(
    (l) =>
      l.address.toLowerCase() === hub.toLowerCase() &&
      l.topics[0]?.toLowerCase() === JOB_CREATED.toLowerCase() &&
      l.topics.length === 3 &&
      BigInt(l.topics[2]) === BigInt(creator),
  );
  return l ? Number(BigInt(l.topics[1])) : undefined;
}
