// Starts and stops `keel serve` for the node SDK tests. KEEL_BINARY and
// KEEL_MODEL say what to start (CTest sets both).
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const binary = process.env.KEEL_BINARY ?? path.join(repo, "build", "release", "apps", "keel");
export const modelPath = process.env.KEEL_MODEL ?? path.join(repo, "models", "tiny-random-glm4-q8_0.gguf");
export const model = path.basename(modelPath);

// Starts `keel serve --port 0` and resolves with its base URL once it
// prints the address (within 60 s).
export function startServer(extraFlags, servedModel = modelPath) {
  const child = spawn(binary, ["serve", "--model", servedModel, "--host", "127.0.0.1", "--port", "0",
                               "--access-log", "", ...extraFlags], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (data) => { stderr += data; });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("keel serve did not start:\n" + stderr)), 60000);
    let stdout = "";
    child.stdout.on("data", (data) => {
      stdout += data;
      const match = stdout.match(/http:\/\/127\.0\.0\.1:(\d+)/);
      if (match) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${match[1]}/v1`);
      }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`keel serve exited (${code}):\n${stderr}`)); });
  });
  return { child, ready };
}

export function stopServer(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => child.kill("SIGKILL"), 30000);
    child.on("exit", (code) => { clearTimeout(timer); resolve(code); });
    child.kill("SIGTERM");
  });
}

// The server's /metrics text, read just before stopping it; the server is
// stopped (and must exit 0) even when the scrape fails.
export async function scrapeMetricsAndStop(server, baseURL) {
  try {
    return await (await fetch(baseURL.replace(/\/v1$/, "") + "/metrics")).text();
  } finally {
    const code = await stopServer(server.child);
    if (code !== 0) throw new Error(`keel serve exited with ${code}`);
  }
}
