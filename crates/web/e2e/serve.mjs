// `labelmint serve --dev` for the browser scripts (run.mjs, record.mjs): on a
// free port, with whatever it prints on stderr kept in `dev.log`, and killed
// when the script exits.
import { spawn } from "node:child_process";

/**
 * Starts `bin serve --dev --port 0 --data-dir dataDir …extra` from `repo`;
 * resolves to `{ server, base, log }` once it prints its API address, and
 * rejects if it exits first or says nothing for 180 s.
 */
export async function serveDev(bin, repo, dataDir, extra = []) {
  const server = spawn(bin, ["serve", "--dev", "--port", "0", "--data-dir", dataDir, ...extra], {
    cwd: repo,
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const dev = { server, base: "", log: "" };
  // Whatever happens, the server does not outlive the script.
  process.on("exit", () => server.exitCode === null && server.kill("SIGKILL"));
  dev.base = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error("labelmint serve --dev did not start in 180 s:\n" + dev.log)), 180_000);
    server.stderr.on("data", (d) => {
      dev.log += d;
      const m = dev.log.match(/API on (http:\/\/[0-9.:]+)/);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    server.on("exit", (code) => rej(new Error(`labelmint serve exited (${code}):\n${dev.log}`)));
  });
  return dev;
}
