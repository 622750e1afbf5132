/**
 * Reading the runtime's cost from /proc: CPU time (utime + stime, all threads) and memory
 * (VmRSS now, VmHWM the peak) of the workerd processes miniflare starts as our children.
 * Linux only, which is where the benchmark runs.
 * @module
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Kernel clock ticks per second, the unit of utime and stime (almost always 100). */
export const CLOCK_TICKS = readClockTicks();

function readClockTicks(): number {
  try {
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime in clock ticks. */
  ticks: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // comm is parenthesised and may hold spaces: split after the last ")".
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const fields = text.slice(close + 2).split(" ");
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { pid, comm, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** Every workerd process descended from this one. */
export function workerdPids(): number[] {
  const stats = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => readStat(Number(name)) ?? []);
  const ours = new Set([process.pid]);
  // Parents are listed before children often enough; repeat until nothing new joins.
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of stats) {
      if (!ours.has(s.pid) && ours.has(s.ppid)) {
        ours.add(s.pid);
        grew = true;
      }
    }
  }
  return stats.filter((s) => s.pid !== process.pid && ours.has(s.pid) && s.comm.includes("workerd")).map((s) => s.pid);
}

/**
 * The workerd process serving `url` (a stack's URL): the one of ours holding the socket that
 * listens on its port. Other runtimes may start meanwhile (tests run side by side), so the
 * process is found by what it serves, not by when it appeared.
 */
export function workerdServing(url: string): number {
  const port = Number(new URL(url).port);
  const inodes = listeningInodes(port);
  for (const pid of workerdPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return pid;
    }
  }
  throw new Error(`no workerd process of ours listens on port ${port}`);
}

/** Inodes of the sockets listening on `port` (IPv4 and IPv6). */
function listeningInodes(port: number): Set<string> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is "ADDR:PORT"; state 0A is LISTEN; the inode is the tenth field.
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === "0A" && fields[9]) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/** CPU seconds (user + system, all threads) `pid` has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readStat(pid);
  if (!stat) throw new Error(`process ${pid} is gone`);
  return stat.ticks / CLOCK_TICKS;
}

/** Resident memory now and at its peak, in bytes. */
export function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rss: kb("VmRSS") * 1024, peak: kb("VmHWM") * 1024 };
}

/**
 * Samples VmRSS every `intervalMs` until stopped. The kernel's VmHWM cannot be reset, so the peak
 * over a span of time is the largest sample (VmHWM is reported too: the process's peak so far).
 */
export function sampleRss(pid: number, intervalMs = 100): { stop: () => { peakRss: number; hwm: number } } {
  let peakRss = memory(pid).rss;
  const timer = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, memory(pid).rss);
    } catch {
      // The process exited: keep what was seen.
    }
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      const now = memory(pid);
      return { peakRss: Math.max(peakRss, now.rss), hwm: now.peak };
    },
  };
}

/** Longest wait for the runtime to go quiet before a measurement. */
const SETTLE_MAX_MS = 3000;

/** Waits until the runtime has been quiet (at most one clock tick of CPU) for `quietMs`. */
export async function settle(pid: number, quietMs: number): Promise<void> {
  const deadline = performance.now() + SETTLE_MAX_MS;
  while (performance.now() < deadline) {
    const start = cpuSeconds(pid);
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    if (cpuSeconds(pid) - start <= 1 / CLOCK_TICKS) return;
  }
}

/** CPU seconds per second the runtime uses while nothing is sent to it. */
export async function idleCpuPerSecond(pid: number, seconds: number): Promise<number> {
  const start = cpuSeconds(pid);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return (cpuSeconds(pid) - start) / ((performance.now() - started) / 1000);
}
