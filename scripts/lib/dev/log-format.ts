/**
 * Turns the Workers' structured JSON log lines into one readable line each for a terminal.
 * @module
 */

const COLORS: Record<string, string> = { error: "\x1b[31m", warn: "\x1b[33m", info: "\x1b[2m" };
const RESET = "\x1b[0m";

export function formatLogLine(level: string, message: string, color = process.stdout.isTTY): string {
  let text = message.trimEnd();
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    if (parsed && typeof parsed === "object" && typeof parsed.msg === "string") {
      const { level: lvl, msg, ...fields } = parsed;
      level = typeof lvl === "string" ? lvl : level;
      const rest = Object.entries(fields)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ");
      text = `${msg}${rest ? ` ${rest}` : ""}`;
    }
  } catch {
    // Not one of ours (a runtime message): print it as it is.
  }
  const tag = level === "log" ? "info" : level;
  const line = `${tag.padEnd(5)} ${text}`;
  return color && COLORS[tag] ? `${COLORS[tag]}${line}${RESET}` : line;
}
