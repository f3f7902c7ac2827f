// The server's HTTP API: JSON in and out, errors as {code, message}.

export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string) {
    super(message);
  }
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: "same-origin", headers: {} };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const resp = await fetch(path, init);
  if (resp.status === 204) return undefined as T;
  const text = await resp.text();
  let data: any = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!resp.ok) {
    throw new ApiError(resp.status, data?.code ?? "http_" + resp.status, data?.message ?? (text || resp.statusText));
  }
  return data as T;
}

/** Whether a failed request is worth another try: the network or the
 * server failed (5xx, 429), not the request (4xx). */
export function transient(e: unknown): boolean {
  return !(e instanceof ApiError) || e.status >= 500 || e.status === 429;
}

export const get = <T = any>(path: string) => api<T>("GET", path);
export const post = <T = any>(path: string, body?: unknown) => api<T>("POST", path, body ?? {});

export interface ServerConfig {
  chain_id: number;
  rpc_url: string;
  market: string;
  registry: string;
  token: string;
  hub: string;
  court: string;
  /** The Timelock governing parameter changes (zero address: none). */
  timelock: string;
  relayer: string | null;
  domain: string;
  dev: boolean;
  /** Whether a fine-tuning provider is configured (`--broker`). */
  broker: boolean;
}

export interface DevAccount {
  address: string;
  key: string;
  role: string;
}

export interface UnsignedTx {
  chain_id: number;
  from: string | null;
  to: string;
  data: string;
  value: string;
  gas: string | null;
  function: string;
}

export interface Job {
  id: number;
  creator: string;
  token: string;
  data_root: string;
  metadata_hash: string;
  metadata: { title?: string; instructions?: string; classes?: string[]; schema?: string } | null;
  task_count: number;
  reward_per_task: string;
  escrow: string;
  schema: "categorical" | "bbox" | "polygon" | "text";
  num_classes: number;
  claim_duration: number;
  submit_deadline: number;
  review_window: number;
  max_held: number;
  arbiter_terms: number;
  mode: string;
  status: string;
  batches: number;
  approved: number;
  stake_required: string;
  block: number;
}

export interface JobDetail extends Job {
  reserved: number;
  escrow_held: string;
  dispute_bond: string;
  arbiter_fee: string;
  arbiter: string;
  dispute_window: number;
  ruling_window: number;
}

export interface Task {
  index: number;
  path: string;
  root: string;
  url: string;
  size: number;
  width: number | null;
  height: number | null;
  state: "free" | "claimed" | "submitted" | "approved" | "rejected";
  holder: string | null;
  claim_expires: number | null;
  batch_id: string | null;
}

export interface Submission {
  id: number;
  status: "queued" | "signed" | "sent" | "mined" | "failed";
  annotator: string;
  job_id: number;
  task_ids: number[];
  nonce: string;
  tx_hash: string | null;
  batch_id: number | null;
  block: number | null;
  error_code: string | null;
  error_message: string | null;
  attempts: number;
  accepted_at_ms: number;
  mined_at_ms: number | null;
}

export interface Balances {
  address: string;
  eth: string;
  token: string;
  market_credit_eth: string;
  block: number;
}

export interface Shape {
  category: number;
  shape: { bbox: [number, number, number, number] } | { polygon: number[] };
}

export interface LabelView {
  task: number;
  url: string | null;
  label: any;
}

export interface QueuedBatch {
  batch_id: string;
  annotator: string;
  submitted_at: number;
  review_ends: number;
  tx_hash: string;
  labels: LabelView[];
  verified: boolean;
  consensus: unknown;
}

export interface Dataset {
  id: number;
  publisher: string;
  root_hash: string;
  metadata_hash: string;
  format: string;
  price: string;
  payment_token: string;
  royalty_bps: number;
  fee_bps: number;
  listed: boolean;
  available: boolean;
  provenance: {
    source: string;
    source_job_id: number;
    data_root: string;
    mode: string;
    annotators: number;
    shares: number;
    previous_version: number;
  };
  published_at: number;
}

/** `GET /api/me/royalties`. */
export interface Royalties {
  pools: { source: string; source_address: string; job_id: number; token: string; amount: string; datasets: number[] }[];
  credits: { token: string; amount: string }[];
}

export interface EventView {
  id: number;
  program: string;
  name: string;
  block: number;
  block_time: number;
  tx_hash: string;
  fields: any;
}

/** A QualityHub consensus job (`GET /api/hub/jobs`). */
export interface HubJob {
  id: number;
  creator: string;
  data_root: string;
  metadata_hash: string | null;
  metadata: { title?: string; instructions?: string; classes?: string[] } | null;
  task_count: number;
  replication: number;
  num_classes: number;
  reward_per_label: string;
  bounty_per_task: string;
  max_pay_per_label: string;
  stake_per_label: string;
  stake_for_all_tasks: string;
  quorum_bps: number;
  min_winning_labels: number;
  slash_bps: number;
  min_reputation_bps: number;
  commit_end: number;
  reveal_end: number;
  ruling_end: number;
  settle_end: number;
  phase: "commit" | "reveal" | "settle" | "closed";
  arbiter: string;
  arbiter_fee: string;
  arbiter_terms: number;
  escrow: string;
  gold_tasks: number;
  gold_rate_bps: number;
  batches: number;
  revealed: number;
  mode: string;
  block: number;
}

export interface HubJobDetail extends HubJob {
  now: number;
  status: "open" | "closed";
  escrow_held: string;
  slash_pool: string;
  agreed_labels: number;
  gold_revealed: boolean;
  gold_bond: string;
  kind: "image" | "text" | null;
  unstake_cooldown: number;
}

export interface HubTask {
  index: number;
  path: string;
  root: string;
  url: string;
  size: number;
  width: number | null;
  height: number | null;
  committed: number;
  full: boolean;
  consensus: { state: string; label: number; votes: number; revealed: number; committed: number } | null;
}

export interface StakeView {
  address: string;
  staked: string;
  locked: string;
  free: string;
  pending_unstake: string;
  unstake_ready_at: number;
  can_withdraw_stake: boolean;
  credit: string;
  token_balance: string;
  allowance: string;
  reputation: { judged: number; agreed: number; score_bps: number; value_at_stake: string };
  now: number;
  unstake_cooldown: number;
  hub: string;
}

export interface HubBatch {
  batch_id: number;
  annotator: string;
  tasks: number[];
  commitment: string;
  locked: string;
  status: "committed" | "revealed" | "settled" | "forfeited";
  labels: number[] | null;
  agreed: number | null;
  disagreed: number | null;
  paid: string | null;
  slashed: string | null;
  gold_failed: boolean | null;
  commit_tx: string;
  reveal_tx: string | null;
  settle_tx: string | null;
}

export interface MyHubBatches {
  job_id: number;
  phase: string;
  unrevealed: number;
  record: { agreed: number; judged: number; open_batches: number; locked: string; claimed: boolean };
  batches: HubBatch[];
}

/** `POST /api/creator/hub/jobs`: the approval (when needed) and the creation. */
export interface PreparedHubJob {
  txs: UnsignedTx[];
  approval_needed: boolean;
  task_count: number;
  escrow: string;
  gold_bond: string;
  deposit: string;
  max_pay_per_label: string;
  arbiter: string;
  arbiter_fee: string;
  metadata_hash: string;
}

export interface ArbiterTerms {
  id: number;
  arbiter: string;
  token: string;
  fee: string;
  bond: string;
  dispute_window: number;
  ruling_window: number;
}

/** `POST /api/permits/prepare`: an EIP-2612 permit to sign. */
export interface PermitToSign {
  typed_data: any;
  digest: string;
  deadline: string;
}

export interface FinetuneModel {
  name: string;
  hash: string;
  data_type: string;
  description: string;
}

export interface FinetuneTask {
  task_id: string;
  dataset_id: number | null;
  model: string | null;
  dataset_hash: string;
  progress: string;
  done: boolean;
  output_root: string | null;
  fee: string;
  created_at: number | null;
}

export interface PreparedFinetune {
  request: {
    dataset_id: number;
    model: string;
    model_hash: string;
    dataset_hash: string;
    training_params: string;
    fee: string;
    nonce: string;
  };
  digest: string;
}

/** `GET /api/governance`: the Timelock's operations, newest first. */
export interface Governance {
  timelock: string;
  min_delay: string;
  now: number;
  operations: {
    id: string;
    state: "waiting" | "ready" | "done" | "cancelled" | "unknown";
    ready_at: number;
    delay: string;
    scheduled_at: number;
    scheduled_tx: string;
    executed_tx: string | null;
    cancelled_tx: string | null;
    calls: { target: string; description: string; value: string; data: string }[];
  }[];
}
