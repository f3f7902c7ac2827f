// Produces tests/fixtures/zg-roots.json: 0G Storage root hashes computed by
// the official TypeScript SDK (@0glabs/0g-ts-sdk, offline), an implementation
// independent of crates/storage, for sizes around every padding and segment
// boundary. The bytes of a vector of size n are `(i * 31 + 7) & 255` for i < n.
//
//   npm ci --prefix scripts/zg && node scripts/zg/root-vectors.mjs > tests/fixtures/zg-roots.json
import { MemData } from "@0glabs/0g-ts-sdk";

const sizes = [0, 1, 255, 256, 257, 3 * 256, 1024 * 256 - 1, 262144, 262145, 1025 * 256 + 1,
  3907 * 256, 3 * 1024 * 1024 + 17, 5_000_000];
const vectors = [];
for (const size of sizes) {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 255;
  const file = new MemData(data);
  const [tree, err] = await file.merkleTree();
  vectors.push({
    size,
    chunks: file.numChunks(),
    segments: file.numSegments(),
    root: tree ? tree.rootHash() : null,
    error: err ? String(err) : tree ? null : "no tree",
  });
}
const { version } = JSON.parse(
  (await import("node:fs")).readFileSync(new URL("./node_modules/@0glabs/0g-ts-sdk/package.json", import.meta.url)),
);
console.log(JSON.stringify({ generator: "@0glabs/0g-ts-sdk " + version, pattern: "(i * 31 + 7) & 255", vectors }, null, 2));
