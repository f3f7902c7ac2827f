// Compiles every abi/<Contract>.sol with solc (solcjs, offline) and checks
// that the ABI solc derives from it equals abi/<Contract>.json, entry by
// entry: the Solidity interface and the JSON ABI describe the same contract.
//
//   node scripts/check-abi.mjs
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const solc = require("solc");

const strip = (value) => {
  if (Array.isArray(value)) return value.map(strip);
  if (value && typeof value === "object") {
    const out = {};
    for (const key of Object.keys(value).sort()) {
      if (key === "internalType") continue;
      out[key] = strip(value[key]);
    }
    return out;
  }
  return value;
};
const key = (entry) =>
  `${entry.type} ${entry.name ?? ""}(${(entry.inputs ?? []).map((i) => i.type).join(",")})`;
const normalize = (abi) =>
  new Map(abi.map((entry) => [key(entry), JSON.stringify(strip(entry))]));

let failures = 0;
const files = readdirSync("abi").filter((f) => f.endsWith(".sol"));
if (files.length === 0) {
  console.error("no abi/*.sol found");
  process.exit(1);
}
for (const file of files) {
  const name = file.replace(/\.sol$/, "");
  const source = readFileSync(`abi/${file}`, "utf8");
  const input = {
    language: "Solidity",
    sources: { [file]: { content: source } },
    settings: { outputSelection: { "*": { "*": ["abi"] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  for (const e of output.errors ?? []) console.error(e.formattedMessage);
  if (errors.length > 0) {
    failures += 1;
    continue;
  }
  const contracts = output.contracts[file];
  const compiled = [
    ...contracts[`I${name}`].abi,
    ...(contracts[`${name}Constructor`]?.abi ?? []),
  ];
  const expected = normalize(JSON.parse(readFileSync(`abi/${name}.json`, "utf8")));
  const actual = normalize(compiled);
  const keys = new Set([...expected.keys(), ...actual.keys()]);
  let mismatches = 0;
  for (const k of [...keys].sort()) {
    if (expected.get(k) !== actual.get(k)) {
      mismatches += 1;
      console.error(`${name}: ${k}\n  json: ${expected.get(k)}\n  solc: ${actual.get(k)}`);
    }
  }
  if (mismatches > 0) failures += 1;
  console.log(
    `${name}: solc ${solc.version()} compiled ${file}; ${actual.size} ABI entries, ${mismatches} mismatches`,
  );
}
process.exit(failures === 0 ? 0 : 1);
