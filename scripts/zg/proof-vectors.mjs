// Produces tests/fixtures/zg-proofs.json: 0G Storage Merkle proofs computed by
// the official TypeScript SDK (@0glabs/0g-ts-sdk, offline), an implementation
// independent of crates/storage and crates/zg.
//
// For each file size:
//   - every leaf of the file tree (one per segment, padding-only segments
//     included): the SDK's `MerkleTree.proofAt` (lemma = [leaf, siblings
//     bottom-up…, root], path = "the running node is the left child"), checked
//     with the SDK's own `Proof.validateHash` before it is written;
//   - for every data segment, what the SDK's uploader sends
//     (`Uploader.getSegment`: root, index, proof, fileSize and the segment
//     bytes, given here as their length and keccak256);
//   - chunk proofs inside some segments (the tree of 256-byte chunks whose
//     root is the segment's leaf).
// The bytes of a file of size n are `(i * 31 + 7) & 255` for i < n.
//
//   npm ci --ignore-scripts --prefix scripts/zg && node scripts/zg/proof-vectors.mjs > tests/fixtures/zg-proofs.json
import { readFileSync } from "node:fs";
import {
  DEFAULT_CHUNK_SIZE,
  DEFAULT_SEGMENT_SIZE,
  MemData,
  MerkleTree,
  Uploader,
} from "@0glabs/0g-ts-sdk";
import { decodeBase64, keccak256 } from "ethers";

const SEGMENT = DEFAULT_SEGMENT_SIZE;
// < 1 chunk, exactly 1 chunk, 5 chunks (an odd chunk tree), exactly one
// segment, one segment + 1 byte (a last segment of 128 padded chunks holding
// one byte), 7 segments less a byte (odd segment tree), 3 segments + 1000
// bytes, 16 segments + 1 byte (17 data segments in a tree of 18: a
// padding-only leaf), 5,000,000 bytes (20 segments).
const sizes = [1, 255, 256, 5 * 256 - 100, SEGMENT, SEGMENT + 1, 7 * SEGMENT - 1, 3 * SEGMENT + 1000,
  16 * SEGMENT + 1, 5_000_000];
// Chunk proofs: [size, segment, chunk indexes or "all"].
const chunkCases = [
  [1, 0, "all"],
  [256, 0, "all"],
  [5 * 256 - 100, 0, "all"],
  [SEGMENT, 0, [0, 1, 2, 511, 512, 1022, 1023]],
  [SEGMENT + 1, 1, [0, 1, 2, 63, 64, 126, 127]],
  [3 * SEGMENT + 1000, 3, [0, 1, 3, 4, 5, 128, 255]],
];

function pattern(size) {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 255;
  return data;
}

function check(proof, root, leaf, position, leaves, what) {
  const err = proof.validateHash(root, leaf, position, leaves);
  if (err !== null) throw new Error(`${what}: the SDK rejects its own proof: ${err}`);
  return { lemma: proof.lemma, path: proof.path };
}

/** The flow-padded bytes of segment `index` as the SDK iterates them. */
async function paddedSegment(file, index) {
  const iter = file.iterateWithOffsetAndBatch(index * SEGMENT, SEGMENT, true);
  const [ok, err] = await iter.next();
  if (!ok || err) throw new Error(`segment ${index}: ${err}`);
  return iter.current();
}

const files = [];
for (const size of sizes) {
  const data = pattern(size);
  const file = new MemData(data);
  const [tree, err] = await file.merkleTree();
  if (err || !tree) throw new Error(`size ${size}: ${err}`);
  const root = tree.rootHash();
  const leaves = tree.leaves.length;
  const segments = [];
  for (let i = 0; i < leaves; i++) {
    const proof = check(tree.proofAt(i), root, tree.leaves[i].hash, i, leaves, `size ${size} segment ${i}`);
    // The uploader's own segment builder; it reads nothing from `this`.
    const [, sent, sendErr] = await Uploader.prototype.getSegment.call(null, file, tree, i);
    if (sendErr) throw new Error(`size ${size} segment ${i}: ${sendErr}`);
    let upload = null;
    if (sent) {
      const bytes = decodeBase64(sent.data);
      upload = {
        root: sent.root,
        index: sent.index,
        fileSize: sent.fileSize,
        proof: { lemma: sent.proof.lemma, path: sent.proof.path },
        dataLength: bytes.length,
        dataKeccak256: keccak256(bytes),
      };
    }
    segments.push({ index: i, leaf: tree.leaves[i].hash, proof, upload });
  }
  const chunks = [];
  for (const [s, segment, which] of chunkCases) {
    if (s !== size) continue;
    const bytes = await paddedSegment(file, segment);
    const chunkTree = new MerkleTree();
    for (let off = 0; off < bytes.length; off += DEFAULT_CHUNK_SIZE) {
      chunkTree.addLeaf(bytes.subarray(off, off + DEFAULT_CHUNK_SIZE));
    }
    chunkTree.build();
    const segmentRoot = chunkTree.rootHash();
    if (segmentRoot !== MemData.segmentRoot(bytes) || segmentRoot !== tree.leaves[segment].hash) {
      throw new Error(`size ${size} segment ${segment}: chunk tree root differs from the SDK's segment root`);
    }
    const count = chunkTree.leaves.length;
    const indexes = which === "all" ? [...Array(count).keys()] : which;
    chunks.push({
      segment,
      chunks: count,
      root: segmentRoot,
      proofs: indexes.map((j) => ({
        index: j,
        ...check(chunkTree.proofAt(j), segmentRoot, chunkTree.leaves[j].hash, j, count, `size ${size} chunk ${j}`),
      })),
    });
  }
  files.push({
    size,
    root,
    dataSegments: file.numSegments(),
    treeSegments: leaves,
    segments,
    chunks,
  });
}

const { version } = JSON.parse(
  readFileSync(new URL("./node_modules/@0glabs/0g-ts-sdk/package.json", import.meta.url)),
);
console.log(JSON.stringify({ generator: "@0glabs/0g-ts-sdk " + version, pattern: "(i * 31 + 7) & 255", files }, null, 1));
