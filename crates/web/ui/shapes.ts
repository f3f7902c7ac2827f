// Shapes as the editor holds them, and as the server's batch files carry them.
import type { Shape } from "./api";

export interface BoxItem {
  kind: "box";
  category: number;
  x: number;
  y: number;
  w: number;
  h: number;
}
export interface PolyItem {
  kind: "poly";
  category: number;
  points: [number, number][];
}
export type Item = BoxItem | PolyItem;

export const PALETTE = ["#e11d48", "#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#ea580c"];
export const color = (c: number) => PALETTE[c % PALETTE.length];

const r1 = (v: number) => Math.round(v * 10) / 10;

export function clampItem(it: Item, w: number, h: number): Item {
  const cx = (v: number) => Math.min(Math.max(v, 0), w);
  const cy = (v: number) => Math.min(Math.max(v, 0), h);
  if (it.kind === "box") {
    const x0 = cx(Math.min(it.x, it.x + it.w));
    const y0 = cy(Math.min(it.y, it.y + it.h));
    const x1 = cx(Math.max(it.x, it.x + it.w));
    const y1 = cy(Math.max(it.y, it.y + it.h));
    return { ...it, x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  }
  return { ...it, points: it.points.map(([x, y]) => [cx(x), cy(y)] as [number, number]) };
}

/** The label the server stores for a task: `{"shapes": [...]}`. */
export function toLabel(items: Item[]): { shapes: Shape[] } {
  return {
    shapes: items.map((it) =>
      it.kind === "box"
        ? { category: it.category, shape: { bbox: [r1(it.x), r1(it.y), r1(it.w), r1(it.h)] as [number, number, number, number] } }
        : { category: it.category, shape: { polygon: it.points.flatMap(([x, y]) => [r1(x), r1(y)]) } },
    ),
  };
}

/** Shapes back from a stored label (review queue, drafts of old formats). */
export function fromLabel(label: any): Item[] {
  const shapes: any[] = label?.shapes ?? [];
  return shapes.map((s) => {
    if (s.shape?.bbox) {
      const [x, y, w, h] = s.shape.bbox;
      return { kind: "box", category: s.category, x, y, w, h } as BoxItem;
    }
    const flat: number[] = s.shape?.polygon ?? [];
    const points: [number, number][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) points.push([flat[i], flat[i + 1]]);
    return { kind: "poly", category: s.category, points } as PolyItem;
  });
}

export function polyPath(points: [number, number][]): string {
  return points.map(([x, y]) => `${x},${y}`).join(" ");
}

/** Is the item big enough to keep (not a stray click)? */
export function usable(it: Item): boolean {
  if (it.kind === "box") return Math.abs(it.w) >= 2 && Math.abs(it.h) >= 2;
  if (it.points.length < 3) return false;
  let twice = 0;
  for (let i = 0; i < it.points.length; i++) {
    const [x1, y1] = it.points[i];
    const [x2, y2] = it.points[(i + 1) % it.points.length];
    twice += x1 * y2 - x2 * y1;
  }
  return Math.abs(twice) / 2 >= 2;
}
