// The 0G Storage root of a file, computed in the browser (the same rules as
// crates/storage): 256-byte chunks, 1,024 per segment, the chunk count
// padded up to a multiple of max(1, nextPow2(chunks) / 16), zero padding,
// keccak256 leaves, odd last nodes promoted; the file root is the same tree
// over the segment roots.
import { keccak256 } from "viem";

const CHUNK = 256;
const SEGMENT_CHUNKS = 1024;

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export function paddedChunks(size: number): number {
  const chunks = Math.ceil(size / CHUNK);
  if ((chunks & (chunks - 1)) === 0) return chunks;
  const align = Math.max(1, nextPow2(chunks) / 16);
  return Math.ceil(chunks / align) * align;
}

function parent(a: Uint8Array, b: Uint8Array): Uint8Array {
  const buf = new Uint8Array(64);
  buf.set(a, 0);
  buf.set(b, 32);
  return keccak256(buf, "bytes");
}

function tree(leaves: Uint8Array[]): Uint8Array {
  let level = leaves;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? parent(level[i], level[i + 1]) : level[i]);
    }
    level = next;
  }
  return level[0];
}

/** The 0x-hex 0G root of `data` (which must not be empty). */
export function zgRoot(data: Uint8Array): `0x${string}` {
  if (data.length === 0) throw new Error("an empty file has no 0G root");
  const total = paddedChunks(data.length);
  const zero = keccak256(new Uint8Array(CHUNK), "bytes");
  const segments: Uint8Array[] = [];
  for (let seg = 0; seg * SEGMENT_CHUNKS < total; seg++) {
    const chunks = Math.min(SEGMENT_CHUNKS, total - seg * SEGMENT_CHUNKS);
    const leaves: Uint8Array[] = [];
    for (let c = 0; c < chunks; c++) {
      const start = (seg * SEGMENT_CHUNKS + c) * CHUNK;
      if (start >= data.length) {
        leaves.push(zero);
        continue;
      }
      const end = Math.min(start + CHUNK, data.length);
      let chunk = data.subarray(start, end);
      if (chunk.length < CHUNK) {
        const padded = new Uint8Array(CHUNK);
        padded.set(chunk);
        chunk = padded;
      }
      leaves.push(keccak256(chunk, "bytes"));
    }
    segments.push(tree(leaves));
  }
  const root = tree(segments);
  return ("0x" + [...root].map((b) => b.toString(16).padStart(2, "0")).join("")) as `0x${string}`;
}
