/**
 * Everything the CLI prints. Results go to stdout: JSON with --json, else human text and tables.
 * Colour only when the stream is a terminal and NO_COLOR is unset or empty. Progress bars go to
 * stderr, and only when stderr is a terminal, so pipes and files get clean output.
 */
import { styleText } from "node:util";
import cliProgress from "cli-progress";
import Table from "cli-table3";

export interface Streams {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

type Style = Parameters<typeof styleText>[0];

/** True when `stream` may get ANSI colour: a terminal, and NO_COLOR unset or empty. */
export function colourAllowed(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

export interface Progress {
  /** Sets the running total: bytes done, or percent. */
  update(done: number): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { update: () => undefined, stop: () => undefined };

export interface Output {
  readonly json: boolean;
  /** Prints a value as pretty JSON (with --json) on stdout. */
  printJson(value: unknown): void;
  /** Prints text on stdout as is, adding a final newline when it lacks one. */
  print(text: string): void;
  /** A table with a header row. */
  table(head: string[], rows: (string | number)[][]): void;
  /** A two-column name/value table. */
  details(pairs: [string, string | number][]): void;
  /** Styles `text` for stdout when colour is allowed there. */
  style(format: Style, text: string): string;
  /** A progress bar on stderr (bytes, throughput, ETA; or percent with `unit: "percent"`), or nothing off a terminal. */
  progress(label: string, opts?: { total?: number; unit?: "bytes" | "percent" }): Progress;
}

export function createOutput(streams: Streams, json: boolean): Output {
  const outColour = colourAllowed(streams.stdout, streams.env);
  const style = (format: Style, text: string) => (outColour ? styleText(format, text, { validateStream: false }) : text);
  const write = (text: string) => streams.stdout.write(text.endsWith("\n") ? text : text + "\n");
  const tableStyle = { head: outColour ? ["cyan"] : [], border: outColour ? ["grey"] : [] };
  return {
    json,
    printJson: (value) => write(JSON.stringify(value, null, 2)),
    print: write,
    style,
    table(head, rows) {
      const t = new Table({ head, style: tableStyle });
      t.push(...rows.map((r) => r.map(String)));
      write(t.toString());
    },
    details(pairs) {
      const t = new Table({ style: tableStyle });
      t.push(...pairs.map(([k, v]) => ({ [style("bold", k)]: String(v) })));
      write(t.toString());
    },
    progress(label, opts = {}) {
      if (!streams.stderr.isTTY) return NO_PROGRESS;
      return createBar(streams.stderr, label, opts.unit ?? "bytes", opts.total);
    },
  };
}

/** A cli-progress bar (plain characters, no colour) redrawn in place at most 10 times a second. */
function createBar(stream: NodeJS.WriteStream, label: string, unit: "bytes" | "percent", total: number | undefined): Progress {
  const started = performance.now();
  const known = total !== undefined && total > 0;
  const format =
    unit === "percent"
      ? `${label} {bar} {percentage}% | {elapsed}`
      : known
        ? `${label} {bar} {percentage}% | {done}/{size} | {speed} | ETA {eta_formatted}`
        : `${label} {done} | {speed}`;
  const bar = new cliProgress.SingleBar(
    { stream, format, hideCursor: true, barsize: 30, etaBuffer: 20, fps: 10, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  const payload = (done: number) => {
    const seconds = (performance.now() - started) / 1000;
    return { done: formatBytes(done), size: formatBytes(total ?? 0), speed: `${formatBytes(seconds > 0 ? done / seconds : 0)}/s`, elapsed: `${seconds.toFixed(0)}s` };
  };
  bar.start(known ? total! : unit === "percent" ? 100 : 1, 0, payload(0));
  return {
    update: (done) => bar.update(unit === "percent" || known ? done : 0, payload(done)),
    stop: () => bar.stop(),
  };
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(n: number | bigint): string {
  let v = Number(n);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}
