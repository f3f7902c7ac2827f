// Formatting of amounts, addresses and times.
import { formatEther } from "viem";

export function eth(wei: string | bigint, digits = 4): string {
  const v = Number(formatEther(BigInt(wei)));
  if (v === 0) return "0";
  if (v < 10 ** -digits) return "<" + (10 ** -digits).toFixed(digits);
  return v.toLocaleString("en-US", { maximumFractionDigits: digits });
}

export function short(addr: string | null | undefined): string {
  if (!addr) return "—";
  return addr.slice(0, 6) + "…" + addr.slice(-4);
}

export function shortHash(h: string | null | undefined): string {
  if (!h) return "—";
  return h.slice(0, 10) + "…" + h.slice(-6);
}

export function ago(ms: number): string {
  const s = Math.round((Date.now() - ms) / 1000);
  if (s < 5) return "just now";
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.round(s / 60) + " min ago";
  if (s < 86400) return Math.round(s / 3600) + " h ago";
  return Math.round(s / 86400) + " d ago";
}

export function duration(secs: number): string {
  if (secs <= 0) return "over";
  if (secs < 3600) return Math.round(secs / 60) + " min";
  if (secs < 86400 * 2) return Math.round(secs / 3600) + " h";
  return Math.round(secs / 86400) + " days";
}

export function date(secs: number): string {
  return new Date(secs * 1000).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
}

export function sameAddr(a: string | null | undefined, b: string | null | undefined): boolean {
  return !!a && !!b && a.toLowerCase() === b.toLowerCase();
}

export const SCHEMA_NAMES: Record<string, string> = {
  categorical: "Classification",
  bbox: "Bounding boxes",
  polygon: "Polygons",
  text: "Free text",
};

/** Rejection reasons: the byte the creator's verdict carries. */
export const REASONS: Record<number, string> = {
  1: "Wrong class",
  2: "Shape not tight",
  3: "Object missed",
  4: "Not following instructions",
  5: "Other",
};

/** The unit of an amount in `token`: ETH for the zero address, else LMR
 * (the server prepares ETH and RewardToken payments only). */
export function unitOf(token: string | null | undefined): string {
  return !token || /^0x0{40}$/i.test(token) ? "ETH" : "LMR";
}
