/**
 * Runs suite files in worker processes (worker.ts), `jobs` at a time, so that a crashing suite
 * cannot hide the others' results: when a worker dies (uncaught exception, unhandled rejection,
 * unhandled 'error' event, a failed start) or a file outlives its timeout, the file is reported as
 * failed with the reason, and a fresh worker takes the next file.
 *
 * Files for which `isolate(name)` is true (integration suites: servers, databases, child processes)
 * each get a fresh worker; the others (unit tests next to the code) share workers, which saves a
 * Node start per file. Each file's output is printed as one block when the file ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { countsOf, type SuiteResult } from "./report.js";

export interface Suite {
  /** Path relative to the repository (shown in the output). */
  name: string;
  file: string;
}

export interface PoolOptions {
  jobs: number;
  /** A file still running after this long fails, and its worker is killed. */
  timeoutMs: number;
  isolate(name: string): boolean;
  /** Receives each file's complete output when the file ends. */
  print(block: string): void;
  cwd: string;
}

const WORKER = join(import.meta.dirname, "worker.ts");
/** How long a dead worker's pipes may stay open (a grandchild holding them) before we stop waiting. */
const DRAIN_MS = 1000;
/** How long a worker may take to exit when asked before it is killed. */
const CLOSE_MS = 5000;

export async function runSuites(suites: Suite[], opts: PoolOptions): Promise<SuiteResult[]> {
  const marker = `@@vellum-test-end-${randomBytes(6).toString("hex")}@@`;
  const queue = [...suites];
  const results: SuiteResult[] = [];
  const slot = async () => {
    let worker: Worker | undefined;
    for (let suite = queue.shift(); suite; suite = queue.shift()) {
      const isolated = opts.isolate(suite.name);
      if (worker && (worker.dead || (isolated && worker.used))) await worker.close();
      if (!worker || worker.dead || (isolated && worker.used)) worker = new Worker(marker, opts.cwd);
      const { result, output } = await worker.run(suite, opts.timeoutMs);
      results.push(result);
      opts.print(output);
      if (isolated || worker.dead) {
        await worker.close();
        worker = undefined;
      }
    }
    await worker?.close();
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.jobs) }, slot));
  return results;
}

interface Running {
  suite: Suite;
  output: string;
  started: number;
  done(r: { result: SuiteResult; output: string }): void;
}

class Worker {
  used = false;
  dead = false;
  private child: ChildProcess;
  private pending = "";
  private current: Running | undefined;
  private exited: Promise<void>;

  constructor(
    private marker: string,
    cwd: string,
  ) {
    this.child = spawn(process.execPath, ["--import", "tsx", WORKER], {
      cwd,
      env: { ...process.env, VELLUM_TEST_END_MARKER: marker },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const closed = new Promise<void>((r) => this.child.once("close", () => r()));
    this.exited = new Promise<void>((resolve) => {
      this.child.once("error", (err) => {
        this.dead = true;
        this.finish(`worker failed to start: ${err.message}`);
        resolve();
      });
      this.child.once("exit", (code, signal) => {
        this.dead = true;
        // Let the pipes drain so the crash's own output is part of the report.
        void Promise.race([closed, new Promise((r) => setTimeout(r, DRAIN_MS))]).then(() => {
          this.flush();
          this.finish(`crashed: worker exited with ${signal ?? `code ${code}`}`);
          resolve();
        });
      });
    });
    this.child.stdout!.on("data", (d: Buffer) => this.onData(d.toString()));
    this.child.stderr!.on("data", (d: Buffer) => this.append(d.toString()));
  }

  run(suite: Suite, timeoutMs: number): Promise<{ result: SuiteResult; output: string }> {
    this.used = true;
    return new Promise((done) => {
      const timer = setTimeout(() => {
        this.append(`\n${suite.name}: still running after ${Math.round(timeoutMs / 1000)} s; killed\n`);
        this.timedOut = true;
        this.child.kill("SIGKILL");
      }, timeoutMs);
      this.current = {
        suite,
        output: this.leftover,
        started: Date.now(),
        done: (r) => {
          clearTimeout(timer);
          done(r);
        },
      };
      this.leftover = "";
      if (this.dead) this.finish("worker is not running");
      else this.child.send({ file: suite.file, name: suite.name }, (err) => err && this.finish(`could not reach the worker: ${err.message}`));
    });
  }

  async close(): Promise<void> {
    if (!this.dead && this.child.connected) this.child.send({ exit: true }, () => undefined);
    const killer = setTimeout(() => this.child.kill("SIGKILL"), CLOSE_MS);
    await this.exited;
    clearTimeout(killer);
  }

  private timedOut = false;
  /** Output that arrived while no file was running (a previous file's stragglers). */
  private leftover = "";

  private append(text: string): void {
    if (this.current) this.current.output += text;
    else this.leftover += text;
  }

  /** Output is read by lines; a line starting with the end marker ends the running file. */
  private onData(text: string): void {
    this.pending += text;
    let nl = this.pending.indexOf("\n");
    while (nl >= 0) {
      const line = this.pending.slice(0, nl + 1);
      this.pending = this.pending.slice(nl + 1);
      if (line.startsWith(this.marker)) {
        const info = JSON.parse(line.slice(this.marker.length).trim() || "{}") as { loadError?: boolean };
        this.finish(info.loadError ? "failed to load" : undefined);
      } else {
        this.append(line);
      }
      nl = this.pending.indexOf("\n");
    }
  }

  private flush(): void {
    this.append(this.pending);
    this.pending = "";
  }

  /** Ends the running file: normally (`problem` undefined) or as failed with `problem`. */
  private finish(problem?: string): void {
    const run = this.current;
    if (!run) return;
    this.current = undefined;
    const reason = problem && this.timedOut ? "timed out" : problem;
    const result = { name: run.suite.name, ms: Date.now() - run.started, ...countsOf(run.output, reason) };
    run.done({ result, output: run.output });
  }
}
