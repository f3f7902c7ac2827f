// Compiles tests/fixtures/Adversaries.sol with solc (npm, offline) and writes
// tests/fixtures/Adversaries.json: each contract's creation bytecode and ABI,
// for the contract tests' hostile tokens, wallets and receivers. CI runs it
// again and fails on any difference.
//
//   node scripts/build-fixtures.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const solc = createRequire(import.meta.url)("solc");
const source = readFileSync("tests/fixtures/Adversaries.sol", "utf8");
const input = {
  language: "Solidity",
  sources: { "Adversaries.sol": { content: source } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "cancun",
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors ?? []).filter((e) => e.severity === "error");
if (errors.length > 0) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const contracts = {};
for (const [name, c] of Object.entries(output.contracts["Adversaries.sol"]).sort()) {
  contracts[name] = { abi: c.abi, bytecode: "0x" + c.evm.bytecode.object };
}
const fixture = {
  compiler: `solc ${solc.version()}`,
  command: "node scripts/build-fixtures.mjs",
  settings: input.settings,
  contracts,
};
writeFileSync("tests/fixtures/Adversaries.json", JSON.stringify(fixture, null, 2) + "\n");
for (const [name, c] of Object.entries(contracts)) {
  console.log(`${name}: ${(c.bytecode.length - 2) / 2} bytes of creation code`);
}
