// Produces tests/fixtures/zg-broker.json: fine-tuning task signatures made by
// the 0G Compute serving broker SDK (@0glabs/0g-serving-broker), an
// implementation independent of crates/zg.
//
// The SDK signs a task with `signRequest(signer, user, nonce, datasetHash,
// fee)`: EIP-191 `signMessage` of the 32 bytes
// `solidityPackedKeccak256(["address", "uint256", "string", "uint256"],
// [user, nonce, datasetHash, fee])` — the dataset hash is packed as the UTF-8
// text of the string sent in the task, not as 32 bytes; the model hash and
// the training parameters are not signed. `signRequest` is not exported from
// the package's entry point, so it is loaded from the package's own compiled
// file. The digest is recomputed here with ethers and checked against the
// SDK's signature (the signature must recover to the user over it).
// `signedMessage` is what the SDK passes to `signMessage`: `toBeArray(digest)`,
// which drops leading zero bytes, so a digest starting with 0x00 is signed as
// a 31-byte message (the last vector is such a case), while the provider
// verifies the 32-byte form.
//
// `task` is the whole body the SDK's `ServiceProcessor.createTask` POSTs to
// the provider, captured with the contract, ledger and provider stubbed and
// the clock fixed (the SDK derives the nonce from the time).
//
//   npm ci --ignore-scripts --prefix scripts/zg && node scripts/zg/broker-vectors.mjs > tests/fixtures/zg-broker.json
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet, getBytes, hexlify, solidityPackedKeccak256, toBeArray, verifyMessage } from "ethers";

const require = createRequire(import.meta.url);
const sdk = "./node_modules/@0glabs/0g-serving-broker/lib.commonjs";
const { signRequest } = require(`${sdk}/common/utils/encrypt.js`);
const { ServiceProcessor } = require(`${sdk}/fine-tuning/broker/service.js`);
const { MODEL_HASH_MAP } = require(`${sdk}/fine-tuning/const.js`);

const keys = {
  // k256 test keys: 32 bytes of n.
  six: "0x" + "06".repeat(32),
  seven: "0x" + "07".repeat(32),
  // The first dev account of the local chain.
  dev0: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
};
const dataset = "0x" + "da".repeat(32);
const root = "0x5ab1c2f3e4d5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5";
const maxU256 = (1n << 256n) - 1n;
const cases = [
  ["six", 1n, dataset, 10n ** 16n],
  ["six", 2n, dataset, 10n ** 16n],
  ["six", 1n, "0x" + "db".repeat(32), 10n ** 16n],
  ["six", 1n, dataset, 10n ** 16n + 1n],
  ["seven", 1n, dataset, 10n ** 16n],
  ["six", 0n, dataset, 0n],
  ["dev0", 17000000000000040n, root, 123456789n],
  ["dev0", 17000000000000040n, root.toUpperCase().replace("0X", "0x"), 123456789n],
  ["dev0", maxU256, root, maxU256],
];

const vectors = [];
for (const [name, nonce, datasetHash, fee] of cases) {
  const wallet = new Wallet(keys[name]);
  const signature = await signRequest(wallet, wallet.address, nonce, datasetHash, fee);
  const digest = solidityPackedKeccak256(["address", "uint256", "string", "uint256"], [wallet.address, nonce, datasetHash, fee]);
  // What the SDK hands to signMessage: `toBeArray(digest)`, which drops
  // leading zero bytes (a digest starting with 0x00 is signed as 31 bytes).
  const signedMessage = toBeArray(digest);
  if (verifyMessage(signedMessage, signature) !== wallet.address) {
    throw new Error(`case ${name}/${nonce}: the SDK's signature is not over the digest computed here`);
  }
  vectors.push({
    key: keys[name],
    user: wallet.address,
    nonce: nonce.toString(),
    datasetHash,
    fee: fee.toString(),
    digest,
    signedMessage: hexlify(signedMessage),
    signature,
  });
}

// The body createTask sends, with every outside call stubbed.
const wallet = new Wallet(keys.dev0);
const now = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const RealDate = Date;
globalThis.Date = class extends RealDate {
  constructor(...args) {
    super(...(args.length ? args : [now]));
  }
  static now() {
    return now;
  }
};
const dir = mkdtempSync(join(tmpdir(), "zg-broker-"));
const paramsPath = join(dir, "params.json");
const trainingParams = '{"num_train_epochs": 3, "learning_rate": 0.0002}';
writeFileSync(paramsPath, trainingParams);
let posted = null;
const contract = {
  signer: wallet,
  getUserAddress: () => wallet.address,
  getService: async () => ({ pricePerToken: 7n }),
  getAccount: async () => ({ balance: 10n ** 18n, pendingRefund: 0n }),
};
const ledger = { transferFund: async () => {} };
const provider = {
  createTask: async (_provider, task) => {
    posted = task;
    return "task-1";
  },
  getPendingTaskCounter: async () => 0,
};
const processor = new ServiceProcessor(contract, ledger, provider);
const model = Object.keys(MODEL_HASH_MAP)[0];
try {
  await processor.createTask("0x" + "77".repeat(20), model, 1000, root, paramsPath);
} finally {
  globalThis.Date = RealDate;
  rmSync(dir, { recursive: true });
}
if (!posted) throw new Error("createTask posted nothing");
const taskDigest = solidityPackedKeccak256(["address", "uint256", "string", "uint256"],
  [posted.userAddress, BigInt(posted.nonce), posted.datasetHash, BigInt(posted.fee)]);
if (verifyMessage(getBytes(taskDigest), posted.signature) !== wallet.address) {
  throw new Error("createTask's signature is not over user, nonce, datasetHash and fee");
}

const { version } = JSON.parse(
  readFileSync(new URL("./node_modules/@0glabs/0g-serving-broker/package.json", import.meta.url)),
);
console.log(JSON.stringify({
  generator: "@0glabs/0g-serving-broker " + version,
  encoding: "EIP-191 over keccak256(abi.encodePacked(address user, uint256 nonce, string datasetHash, uint256 fee))",
  vectors,
  task: { key: keys.dev0, model, digest: taskDigest, body: posted },
}, null, 1));
