// The image canvas: boxes (draw, move, resize by eight handles), polygons
// (draw, move, vertex edit), zoom (wheel, buttons, keys) and pan (drag the
// background, middle button, or hold Space). Shapes are in image pixels.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { clampItem, color, polyPath, usable, type BoxItem, type Item } from "./shapes";

export type Tool = "select" | "box" | "poly";

interface View {
  k: number;
  tx: number;
  ty: number;
}

type Drag =
  | { t: "none" }
  | { t: "box"; x0: number; y0: number; x: number; y: number }
  | { t: "move"; i: number; x0: number; y0: number; orig: Item }
  | { t: "resize"; i: number; h: string; orig: BoxItem }
  | { t: "vertex"; i: number; v: number }
  | { t: "pan"; cx: number; cy: number; orig: View };

const HANDLES = ["nw", "n", "ne", "e", "se", "s", "sw", "w"] as const;

function handlePos(b: BoxItem, h: string): [number, number] {
  const x = h.includes("w") ? b.x : h.includes("e") ? b.x + b.w : b.x + b.w / 2;
  const y = h.includes("n") ? b.y : h.includes("s") ? b.y + b.h : b.y + b.h / 2;
  return [x, y];
}

export interface EditorProps {
  src: string;
  width: number;
  height: number;
  items: Item[];
  classes: string[];
  category: number;
  tool: Tool;
  selected: number | null;
  onSelect(i: number | null): void;
  /** A finished change (undo records it). */
  onCommit(items: Item[]): void;
  readOnly?: boolean;
  /** Bumped by the parent to refit the view. */
  fitKey?: unknown;
  zoomCmd?: { n: number; dir: 1 | -1 | 0 };
}

export function Editor(p: EditorProps) {
  const box = useRef<HTMLDivElement>(null);
  const svg = useRef<SVGSVGElement>(null);
  const [view, setView] = useState<View>({ k: 1, tx: 0, ty: 0 });
  const [live, setLive] = useState<Item[] | null>(null);
  const [drag, setDrag] = useState<Drag>({ t: "none" });
  const [poly, setPoly] = useState<[number, number][]>([]);
  const [hover, setHover] = useState<[number, number] | null>(null);
  const [space, setSpace] = useState(false);
  const items = live ?? p.items;

  const fit = () => {
    const el = box.current;
    if (!el) return;
    const { width: cw, height: ch } = el.getBoundingClientRect();
    const k = Math.min(cw / p.width, ch / p.height) * 0.94;
    setView({ k, tx: (cw - p.width * k) / 2, ty: (ch - p.height * k) / 2 });
  };
  useLayoutEffect(fit, [p.src, p.width, p.height, p.fitKey]);
  useEffect(() => {
    const ro = new ResizeObserver(() => fit());
    if (box.current) ro.observe(box.current);
    return () => ro.disconnect();
  }, [p.src]);
  useEffect(() => {
    setPoly([]);
    setDrag({ t: "none" });
    setLive(null);
  }, [p.src, p.tool]);

  const zoomAt = (factor: number, sx?: number, sy?: number) => {
    const el = box.current!;
    const r = el.getBoundingClientRect();
    const cx = sx ?? r.width / 2;
    const cy = sy ?? r.height / 2;
    setView((v) => {
      const k = Math.min(Math.max(v.k * factor, 0.05), 40);
      const f = k / v.k;
      return { k, tx: cx - (cx - v.tx) * f, ty: cy - (cy - v.ty) * f };
    });
  };
  useEffect(() => {
    if (!p.zoomCmd) return;
    if (p.zoomCmd.dir === 0) fit();
    else zoomAt(p.zoomCmd.dir > 0 ? 1.25 : 0.8);
  }, [p.zoomCmd?.n]);

  // Space held pans, as in most editors. Registered once; it calls the
  // handler of the latest render (see the workspace's key handler).
  const onKeyDown = useRef<(e: KeyboardEvent) => void>(() => {});
  onKeyDown.current = (e: KeyboardEvent) => {
    if (e.code === "Space" && !(e.target instanceof HTMLInputElement) && !(e.target instanceof HTMLTextAreaElement)) {
      setSpace(true);
      if (e.target === box.current || e.target === document.body) e.preventDefault();
    }
    if (e.key === "Escape") setPoly([]);
    if (e.key === "Enter" && poly.length >= 3) closePoly();
  };
  useEffect(() => {
    const down = (e: KeyboardEvent) => onKeyDown.current(e);
    const up = (e: KeyboardEvent) => e.code === "Space" && setSpace(false);
    window.addEventListener("keydown", down);
    window.addEventListener("keyup", up);
    return () => {
      window.removeEventListener("keydown", down);
      window.removeEventListener("keyup", up);
    };
  }, []);

  const toImage = (e: { clientX: number; clientY: number }): [number, number] => {
    const r = svg.current!.getBoundingClientRect();
    const x = (e.clientX - r.left - view.tx) / view.k;
    const y = (e.clientY - r.top - view.ty) / view.k;
    return [Math.min(Math.max(x, 0), p.width), Math.min(Math.max(y, 0), p.height)];
  };

  const closePoly = () => {
    if (poly.length >= 3) {
      const it: Item = { kind: "poly", category: p.category, points: poly };
      if (usable(it)) {
        p.onCommit([...p.items, it]);
        p.onSelect(p.items.length);
      }
    }
    setPoly([]);
  };

  const onDown = (e: PointerEvent) => {
    if (p.readOnly && !(e.button === 1 || space)) {
      const r = svg.current!.getBoundingClientRect();
      setDrag({ t: "pan", cx: e.clientX - r.left, cy: e.clientY - r.top, orig: view });
      svg.current!.setPointerCapture(e.pointerId);
      return;
    }
    box.current?.focus({ preventScroll: true });
    const target = e.target as SVGElement;
    const ds = target.dataset ?? {};
    const [x, y] = toImage(e);
    const r = svg.current!.getBoundingClientRect();
    const start = (d: Drag) => {
      setDrag(d);
      svg.current!.setPointerCapture(e.pointerId);
      e.preventDefault();
    };
    if (e.button === 1 || space) return start({ t: "pan", cx: e.clientX - r.left, cy: e.clientY - r.top, orig: view });
    if (e.button !== 0) return;
    if (ds.handle && p.selected !== null) {
      return start({ t: "resize", i: p.selected, h: ds.handle, orig: p.items[p.selected] as BoxItem });
    }
    if (ds.vertex !== undefined && p.selected !== null && p.tool !== "poly") {
      return start({ t: "vertex", i: p.selected, v: Number(ds.vertex) });
    }
    if (p.tool === "box") return start({ t: "box", x0: x, y0: y, x, y });
    if (p.tool === "poly") {
      if (ds.first !== undefined && poly.length >= 3) return closePoly();
      setPoly([...poly, [x, y]]);
      return;
    }
    if (ds.shape !== undefined) {
      const i = Number(ds.shape);
      p.onSelect(i);
      return start({ t: "move", i, x0: x, y0: y, orig: p.items[i] });
    }
    p.onSelect(null);
    start({ t: "pan", cx: e.clientX - r.left, cy: e.clientY - r.top, orig: view });
  };

  const onMove = (e: PointerEvent) => {
    const [x, y] = toImage(e);
    if (p.tool === "poly") setHover([x, y]);
    switch (drag.t) {
      case "none":
        return;
      case "pan": {
        const r = svg.current!.getBoundingClientRect();
        setView({ ...drag.orig, tx: drag.orig.tx + (e.clientX - r.left - drag.cx), ty: drag.orig.ty + (e.clientY - r.top - drag.cy) });
        return;
      }
      case "box":
        setDrag({ ...drag, x, y });
        return;
      case "move": {
        const dx = x - drag.x0;
        const dy = y - drag.y0;
        const o = drag.orig;
        let moved: Item;
        if (o.kind === "box") {
          moved = { ...o, x: Math.min(Math.max(o.x + dx, 0), p.width - o.w), y: Math.min(Math.max(o.y + dy, 0), p.height - o.h) };
        } else {
          const xs = o.points.map((q) => q[0]);
          const ys = o.points.map((q) => q[1]);
          const ddx = Math.min(Math.max(dx, -Math.min(...xs)), p.width - Math.max(...xs));
          const ddy = Math.min(Math.max(dy, -Math.min(...ys)), p.height - Math.max(...ys));
          moved = { ...o, points: o.points.map(([px, py]) => [px + ddx, py + ddy] as [number, number]) };
        }
        setLive(p.items.map((it, i) => (i === drag.i ? moved : it)));
        return;
      }
      case "resize": {
        const o = drag.orig;
        let x0 = o.x, y0 = o.y, x1 = o.x + o.w, y1 = o.y + o.h;
        if (drag.h.includes("w")) x0 = x;
        if (drag.h.includes("e")) x1 = x;
        if (drag.h.includes("n")) y0 = y;
        if (drag.h.includes("s")) y1 = y;
        const b = clampItem({ ...o, x: x0, y: y0, w: x1 - x0, h: y1 - y0 }, p.width, p.height);
        setLive(p.items.map((it, i) => (i === drag.i ? b : it)));
        return;
      }
      case "vertex": {
        const o = p.items[drag.i];
        if (o.kind !== "poly") return;
        const pts = o.points.map((q, j) => (j === drag.v ? ([x, y] as [number, number]) : q));
        setLive(p.items.map((it, i) => (i === drag.i ? { ...o, points: pts } : it)));
        return;
      }
    }
  };

  const onUp = () => {
    if (drag.t === "box") {
      const b = clampItem({ kind: "box", category: p.category, x: drag.x0, y: drag.y0, w: drag.x - drag.x0, h: drag.y - drag.y0 }, p.width, p.height);
      if (usable(b)) {
        p.onCommit([...p.items, b]);
        p.onSelect(p.items.length);
      }
    } else if ((drag.t === "move" || drag.t === "resize" || drag.t === "vertex") && live) {
      p.onCommit(live);
    }
    setLive(null);
    setDrag({ t: "none" });
  };

  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    const r = svg.current!.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
  };

  const hs = 9 / view.k;
  const sw = 2 / view.k;
  const sel = p.selected !== null ? items[p.selected] : null;
  const cursor = drag.t === "pan" || space ? "grabbing" : p.tool === "select" ? "default" : "crosshair";

  return (
    <div
      ref={box}
      class="stage"
      tabIndex={0}
      role="application"
      aria-label={`Image ${p.width}×${p.height}. Tools: V select, B box, P polygon; 1–9 pick a class; Delete removes; Ctrl+Z undoes.`}
      data-zoom={view.k.toFixed(3)}
    >
      <svg
        ref={svg}
        class="stage-svg"
        style={{ cursor }}
        onPointerDown={onDown as any}
        onPointerMove={onMove as any}
        onPointerUp={onUp}
        onPointerCancel={onUp}
        onWheel={onWheel as any}
        onDblClick={() => p.tool === "poly" && closePoly()}
      >
        <g transform={`translate(${view.tx} ${view.ty}) scale(${view.k})`}>
          <image href={p.src} x={0} y={0} width={p.width} height={p.height} />
          <rect x={0} y={0} width={p.width} height={p.height} fill="none" stroke="#94a3b8" stroke-width={1 / view.k} />
          {items.map((it, i) => {
            const c = color(it.category);
            const selectedHere = i === p.selected;
            const common = {
              "data-shape": String(i),
              fill: c,
              "fill-opacity": selectedHere ? 0.28 : 0.16,
              stroke: c,
              "stroke-width": selectedHere ? sw * 1.5 : sw,
              class: "shape",
            };
            return it.kind === "box" ? (
              <rect key={i} x={it.x} y={it.y} width={it.w} height={it.h} {...common}>
                <title>{`${p.classes[it.category] ?? it.category}: box`}</title>
              </rect>
            ) : (
              <polygon key={i} points={polyPath(it.points)} {...common}>
                <title>{`${p.classes[it.category] ?? it.category}: polygon`}</title>
              </polygon>
            );
          })}
          {items.map((it, i) => {
            const name = p.classes[it.category] ?? String(it.category);
            const [lx, ly] = it.kind === "box" ? [it.x, it.y] : it.points[0];
            return (
              <text key={"t" + i} x={lx + 3 / view.k} y={ly - 4 / view.k} font-size={12 / view.k} stroke-width={3 / view.k} class="shape-label" fill={color(it.category)}>
                {name}
              </text>
            );
          })}
          {!p.readOnly && sel && sel.kind === "box" &&
            HANDLES.map((h) => {
              const [x, y] = handlePos(sel, h);
              return <rect key={h} data-handle={h} class={`handle h-${h}`} x={x - hs / 2} y={y - hs / 2} width={hs} height={hs} stroke-width={sw / 1.5} />;
            })}
          {!p.readOnly && sel && sel.kind === "poly" &&
            sel.points.map(([x, y], j) => <circle key={j} data-vertex={String(j)} class="vertex" cx={x} cy={y} r={hs / 1.6} stroke-width={sw / 1.5} />)}
          {drag.t === "box" && (
            <rect
              x={Math.min(drag.x0, drag.x)}
              y={Math.min(drag.y0, drag.y)}
              width={Math.abs(drag.x - drag.x0)}
              height={Math.abs(drag.y - drag.y0)}
              fill="none"
              stroke={color(p.category)}
              stroke-width={sw}
              stroke-dasharray={`${6 / view.k} ${4 / view.k}`}
            />
          )}
          {poly.length > 0 && (
            <g>
              <polyline points={polyPath(hover ? [...poly, hover] : poly)} fill="none" stroke={color(p.category)} stroke-width={sw} stroke-dasharray={`${6 / view.k} ${4 / view.k}`} />
              {poly.map(([x, y], j) => (
                <circle key={j} data-first={j === 0 ? "" : undefined} class={j === 0 ? "vertex first" : "vertex"} cx={x} cy={y} r={hs / 1.6} stroke-width={sw / 1.5} />
              ))}
            </g>
          )}
        </g>
      </svg>
      <div class="stage-hint" aria-hidden="true">
        {p.readOnly
          ? "Drag to pan · wheel to zoom"
          : p.tool === "box"
            ? "Drag to draw a box"
            : p.tool === "poly"
              ? poly.length
                ? `${poly.length} points · click the first point, double-click or Enter to close · Esc cancels`
                : "Click to add polygon points"
              : "Click a shape to select · drag to move · handles resize · drag background to pan"}
        {" · "}
        {Math.round(view.k * 100)}%
      </div>
    </div>
  );
}

/** A small read-only picture of an image task's shapes (preview grid, review queue). */
export function Thumb(props: { src: string; width: number; height: number; items: Item[]; classes?: string[]; label?: string }) {
  const { width: w, height: h } = props;
  const sw = Math.max(w, h) / 120;
  return (
    <svg class="thumb" viewBox={`0 0 ${w} ${h}`} role="img" aria-label={props.label ?? `${props.items.length} shapes`}>
      <image href={props.src} x={0} y={0} width={w} height={h} />
      {props.items.map((it, i) =>
        it.kind === "box" ? (
          <rect key={i} x={it.x} y={it.y} width={it.w} height={it.h} fill={color(it.category)} fill-opacity={0.18} stroke={color(it.category)} stroke-width={sw} />
        ) : (
          <polygon key={i} points={polyPath(it.points)} fill={color(it.category)} fill-opacity={0.18} stroke={color(it.category)} stroke-width={sw} />
        ),
      )}
    </svg>
  );
}
