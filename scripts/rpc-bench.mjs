// JSON-RPC throughput of labelmint-node: signed RewardToken transfers sent
// with eth_sendRawTransaction over HTTP on loopback (keep-alive, a few in
// flight), each mined on arrival. Deploys the token first.
//
//   node scripts/rpc-bench.mjs [http://127.0.0.1:8547] [count=2000] [target/stylus/reward_token.wasm]
import { readFileSync } from "node:fs";
import { brotliCompressSync, constants } from "node:zlib";
import { AbiCoder, Contract, Interface, JsonRpcProvider, Wallet, concat, hexlify, id, randomBytes, toBeHex } from "ethers";

const url = process.argv[2] ?? "http://127.0.0.1:8547";
const count = Number(process.argv[3] ?? 2000);
const wasmPath = process.argv[4] ?? "target/stylus/reward_token.wasm";
const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
const admin = new Wallet("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", provider);
// Dev accounts 1..8 of the test mnemonic send in parallel, each in nonce order.
const keys = [
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
];
const senders = keys.map((k) => new Wallet(k));

const wasm = readFileSync(wasmPath);
const compressed = brotliCompressSync(wasm, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 22 } });
const code = concat(["0xeff00000", compressed]);
const initCode = concat(["0x61", toBeHex((code.length - 2) / 2, 2), "0x80600c6000396000f3", code]);
const args = AbiCoder.defaultAbiCoder().encode(["string", "string", "uint8", "uint256", "address"], ["Bench", "B", 18, 0, admin.address]);
const deployer = new Contract(
  "0xcEcba2F1DC234f70Dd89F2041029807F8D03A990",
  ["function deploy(bytes,bytes,uint256,bytes32) payable returns (address)", "event ContractDeployed(address deployedContract)"],
  admin,
);
const receipt = await (await deployer.deploy(initCode, concat([id("stylus_constructor()").slice(0, 10), args]), 0n, hexlify(randomBytes(32)), { value: 10n ** 18n })).wait();
const token = deployer.interface.parseLog(receipt.logs.find((l) => l.address === deployer.target)).args[0];
const abi = new Interface(JSON.parse(readFileSync("abi/RewardToken.json", "utf8")));
const reward = new Contract(token, abi, admin);
for (const s of senders) await (await reward.mint(s.address, 10n ** 24n)).wait();

const chainId = 412346n;
const data = abi.encodeFunctionData("transfer", [admin.address, 1n]);
const queues = [];
for (const [k, s] of senders.entries()) {
  let nonce = await provider.getTransactionCount(s.address, "latest");
  const queue = [];
  for (let i = k; i < count; i += senders.length) {
    queue.push(await s.signTransaction({ type: 2, chainId, nonce: nonce++, to: token, data, gasLimit: 200000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }));
  }
  queues.push(queue);
}

let failures = 0;
const post = async (raw, i) => {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: i, method: "eth_sendRawTransaction", params: [raw] }),
  });
  const body = await res.json();
  if (body.error) failures++;
};
// Each sender's transactions go in nonce order; the senders run in parallel.
const start = performance.now();
await Promise.all(queues.map(async (queue, k) => {
  for (const [i, raw] of queue.entries()) await post(raw, k * count + i);
}));
const seconds = (performance.now() - start) / 1000;
const balance = await new Contract(token, abi, provider).balanceOf(admin.address);
console.log(`| signed RewardToken transfers over HTTP (8 senders in parallel) | ${(count / seconds).toFixed(0)} per second | ${count} txs in ${seconds.toFixed(2)} s, ${failures} failed |`);
if (failures > 0 || balance !== BigInt(count)) {
  console.error(`FAIL: ${failures} failures, receiver balance ${balance}`);
  process.exit(1);
}
