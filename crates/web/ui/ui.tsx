// Small shared pieces: buttons with busy state, badges, amounts, hashes, modals.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { transient } from "./api";
import { eth, short, shortHash } from "./format";
import { errorText, notify } from "./state";

export function Badge(p: { kind: string; children: ComponentChildren; title?: string }) {
  return (
    <span class={`badge b-${p.kind}`} title={p.title}>
      {p.children}
    </span>
  );
}

export function Eth(p: { wei: string | bigint; unit?: string }) {
  return (
    <span class="amount">
      {eth(p.wei)} <small>{p.unit ?? "ETH"}</small>
    </span>
  );
}

export function Addr(p: { a: string | null | undefined; me?: string | null }) {
  const mine = p.me && p.a && p.me.toLowerCase() === p.a.toLowerCase();
  return (
    <code class="addr" title={p.a ?? ""}>
      {short(p.a)}
      {mine ? " (you)" : ""}
    </code>
  );
}

export function Hash(p: { h: string | null | undefined; label?: string }) {
  if (!p.h) return <span class="muted">—</span>;
  return (
    <code class="hash" title={p.h} data-hash={p.h}>
      {p.label ? p.label + " " : ""}
      {shortHash(p.h)}
      <button
        type="button"
        class="copy"
        aria-label={`Copy ${p.h}`}
        onClick={() => navigator.clipboard?.writeText(p.h!).then(() => notify("info", "Copied to the clipboard."))}
      >
        {/* Drawn, not a glyph: "⧉" is missing from common fonts (a tofu box offline). */}
        <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
          <rect x="5.5" y="5.5" width="8" height="8" rx="1.5" fill="none" stroke="currentColor" stroke-width="1.5" />
          <path d="M10.5 3.5V3a1 1 0 0 0-1-1H3a1 1 0 0 0-1 1v6.5a1 1 0 0 0 1 1h.5" fill="none" stroke="currentColor" stroke-width="1.5" />
        </svg>
      </button>
    </code>
  );
}

/** A button that runs an async action, shows it is busy, and reports failures. */
export function Action(p: {
  run: () => Promise<unknown>;
  children: ComponentChildren;
  kind?: "primary" | "danger" | "ghost" | "";
  disabled?: boolean;
  title?: string;
  label?: string;
  small?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      class={`btn ${p.kind ?? ""} ${p.small ? "small" : ""}`}
      disabled={p.disabled || busy}
      aria-busy={busy}
      title={p.title}
      aria-label={p.label}
      onClick={async () => {
        setBusy(true);
        try {
          await p.run();
        } catch (e) {
          notify("error", errorText(e));
        } finally {
          setBusy(false);
        }
      }}
    >
      {busy && <span class="spinner" aria-hidden="true" />}
      {p.children}
    </button>
  );
}

export function Modal(p: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    ref.current?.querySelector<HTMLElement>("button, [href], input, select, textarea")?.focus();
    const key = (e: KeyboardEvent) => e.key === "Escape" && p.onClose();
    window.addEventListener("keydown", key);
    return () => {
      window.removeEventListener("keydown", key);
      prev?.focus?.();
    };
  }, []);
  return (
    <div class="modal-back" onClick={(e) => e.target === e.currentTarget && p.onClose()}>
      <div ref={ref} class={`modal ${p.wide ? "wide" : ""}`} role="dialog" aria-modal="true" aria-label={p.title}>
        <header>
          <h2>{p.title}</h2>
          <button type="button" class="btn ghost" aria-label="Close" onClick={p.onClose}>
            ✕
          </button>
        </header>
        <div class="modal-body">{p.children}</div>
      </div>
    </div>
  );
}

/** Loads `load()` when `deps` change. A transient failure is shown and
 * retried after 1, 2, 4, then every 8 s until it succeeds; a refusal (4xx)
 * is shown and left alone. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = (tries: number) =>
      load().then(
        (d) => live && (setData(d), setError(null)),
        (e) => {
          if (!live) return;
          setError(errorText(e));
          if (transient(e)) timer = setTimeout(() => live && attempt(tries + 1), Math.min(1000 * 2 ** tries, 8000));
        },
      );
    attempt(0);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [...deps, n]);
  return { data, error, reload: () => setN((x) => x + 1) };
}

export function Loading(p: { error?: string | null; what?: string }) {
  return p.error ? (
    <p class="error" role="alert">
      {p.error}
    </p>
  ) : (
    <p class="muted">Loading {p.what ?? ""}…</p>
  );
}
