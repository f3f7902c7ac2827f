// An independent client (ethers 6) against the labelmint-node JSON-RPC node:
// deploys the RewardToken wasm through the StylusDeployer with a signed
// EIP-1559 transaction, calls it through abi/RewardToken.json, reads events
// (receipt logs and an eth_subscribe("logs") stream over WebSocket), and
// decodes a custom-error revert.
//
//   node scripts/rpc-smoke.mjs [http://127.0.0.1:8547] [target/stylus/reward_token.wasm]
import { readFileSync } from "node:fs";
import { brotliCompressSync, constants } from "node:zlib";
import { AbiCoder, Contract, Interface, JsonRpcProvider, WebSocketProvider, Wallet, id, concat, hexlify, randomBytes, toBeHex } from "ethers";

const url = process.argv[2] ?? "http://127.0.0.1:8547";
const wasmPath = process.argv[3] ?? "target/stylus/reward_token.wasm";
const fail = (msg) => {
  console.error(`FAIL: ${msg}`);
  process.exit(1);
};
const check = (cond, msg) => (cond ? console.log(`ok: ${msg}`) : fail(msg));

// cacheTimeout -1: blocks are instant here, so cached nonces would be stale.
const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, polling: true, pollingInterval: 50, cacheTimeout: -1 });
const admin = new Wallet("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", provider);
const stranger = Wallet.createRandom().connect(provider);
const alice = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

const network = await provider.getNetwork();
check(network.chainId === 412346n, `chain id ${network.chainId}`);

// 0xEFF000 ‖ dictionary 0 ‖ brotli(wasm), wrapped in init code that returns it.
const wasm = readFileSync(wasmPath);
const compressed = brotliCompressSync(wasm, {
  params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 22 },
});
const code = concat(["0xeff00000", compressed]);
const len = (code.length - 2) / 2;
const initCode = concat(["0x61", toBeHex(len, 2), "0x80600c6000396000f3", code]);

const abi = JSON.parse(readFileSync("abi/RewardToken.json", "utf8"));
const token = new Interface(abi);
const ctorArgs = AbiCoder.defaultAbiCoder().encode(
  ["string", "string", "uint8", "uint256", "address"],
  ["labelmint Reward", "LMR", 18, 0, admin.address],
);
const ctorCalldata = concat([id("stylus_constructor()").slice(0, 10), ctorArgs]);

const deployerAbi = [
  "function deploy(bytes bytecode, bytes initData, uint256 initValue, bytes32 salt) payable returns (address)",
  "event ContractDeployed(address deployedContract)",
];
const deployer = new Contract("0xcEcba2F1DC234f70Dd89F2041029807F8D03A990", deployerAbi, admin);
const salt = hexlify(randomBytes(32));
const tx = await deployer.deploy(initCode, ctorCalldata, 0n, salt, { value: 10n ** 18n, type: 2 });
check(tx.type === 2, "deployment sent as a signed EIP-1559 transaction");
const receipt = await tx.wait();
check(receipt.status === 1, `deployment mined in block ${receipt.blockNumber} using ${receipt.gasUsed} gas`);
const deployed = receipt.logs
  .map((l) => {
    try {
      return deployer.interface.parseLog(l);
    } catch {
      return null;
    }
  })
  .find((e) => e?.name === "ContractDeployed");
check(deployed, "ContractDeployed event in the receipt");
const address = deployed.args.deployedContract;
const reward = new Contract(address, abi, admin);
check((await reward.name()) === "labelmint Reward", "name() through abi/RewardToken.json");

// Subscribe to Transfer logs over WebSocket before minting.
const ws = new WebSocketProvider(url.replace("http", "ws"), undefined, { staticNetwork: true });
const seen = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("no Transfer log over WebSocket")), 10_000);
  ws.on({ address, topics: [token.getEvent("Transfer").topicHash] }, (log) => {
    clearTimeout(timer);
    resolve(log);
  });
});
await new Promise((r) => setTimeout(r, 200));

const mint = await reward.mint(alice, 1000n);
const minted = await mint.wait();
const transfer = minted.logs.map((l) => token.parseLog(l)).find((e) => e?.name === "Transfer");
check(transfer && transfer.args.to === alice && transfer.args.value === 1000n, "Transfer event decoded from the receipt");
check((await reward.balanceOf(alice)) === 1000n, "balanceOf(alice) = 1000");
const streamed = await seen;
check(streamed.transactionHash === mint.hash, "Transfer log streamed by eth_subscribe(logs)");
await ws.destroy();

// A revert: the stranger holds nothing.
await (await admin.sendTransaction({ to: stranger.address, value: 10n ** 17n })).wait();
try {
  await reward.connect(stranger).transfer.staticCall(alice, 1n);
  fail("transfer without balance should revert");
} catch (e) {
  const decoded = token.parseError(e.data);
  check(
    decoded?.name === "ERC20InsufficientBalance" && decoded.args.needed === 1n,
    `revert decoded as ${decoded?.name}(${decoded?.args.join(", ")})`,
  );
}
const logs = await provider.getLogs({ address, fromBlock: 0, toBlock: "latest" });
check(logs.length >= 4, `eth_getLogs found ${logs.length} logs of the token`);
console.log("rpc smoke test passed");
process.exit(0);
