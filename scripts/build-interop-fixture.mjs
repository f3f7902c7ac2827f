// Compiles tests/fixtures/Interop.sol with solc (npm, offline) and writes
// tests/fixtures/Interop.json (creation bytecode + ABI) for the devnet tests.
//
//   node scripts/build-interop-fixture.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const solc = createRequire(import.meta.url)("solc");
const source = readFileSync("tests/fixtures/Interop.sol", "utf8");
const input = {
  language: "Solidity",
  sources: { "Interop.sol": { content: source } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "cancun",
    outputSelection: { "*": { Interop: ["abi", "evm.bytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors ?? []).filter((e) => e.severity === "error");
if (errors.length > 0) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const contract = output.contracts["Interop.sol"].Interop;
const fixture = {
  compiler: `solc ${solc.version()}`,
  command: "node scripts/build-interop-fixture.mjs",
  settings: input.settings,
  abi: contract.abi,
  bytecode: "0x" + contract.evm.bytecode.object,
};
writeFileSync("tests/fixtures/Interop.json", JSON.stringify(fixture, null, 2) + "\n");
console.log(`Interop: ${contract.evm.bytecode.object.length / 2} bytes of creation code`);
