// Who writes a run: the process identity a lease records (pid, host, and on Linux the boot and
// start time of the process, so that a reused pid is not mistaken for the holder), and whether
// the process a lease names is still alive.

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** The process that holds (or held) a run's lease. */
export interface RunWriter {
  readonly pid: number;
  readonly host: string;
  /** Linux: `BOOT_ID:START_TICKS` of the process; null where it cannot be read. */
  readonly processStart: string | null;
  /** ISO time the lease was taken. */
  readonly since: string;
}

/** Linux's identity of a running process: its state letter and `BOOT_ID:START_TICKS`. */
function linuxProcess(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // pid (comm) state ppid ... : comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    const state = fields[0];
    const ticks = fields[19];
    if (state === undefined || ticks === undefined) return undefined;
    return { state, start: `${bootId}:${ticks}` };
  } catch {
    return undefined;
  }
}

let self: { pid: number; host: string; processStart: string | null } | undefined;

/** This process, as a lease records it. */
export function currentProcess(): { pid: number; host: string; processStart: string | null } {
  if (self?.pid !== process.pid) {
    self = {
      pid: process.pid,
      host: hostname(),
      processStart: linuxProcess(process.pid)?.start ?? null,
    };
  }
  return self;
}

/** Whether the writer is this very process. */
export function isCurrentProcess(writer: RunWriter): boolean {
  const me = currentProcess();
  return (
    writer.pid === me.pid &&
    writer.host === me.host &&
    (writer.processStart === null ||
      me.processStart === null ||
      writer.processStart === me.processStart)
  );
}

/**
 * Whether the writer's process still runs. A process on another host cannot be checked and
 * counts as alive; on this host a pid that no longer exists, a zombie, or a pid now used by a
 * process that started at another time (Linux) is gone.
 */
export function isWriterAlive(writer: RunWriter): boolean {
  if (writer.host !== currentProcess().host) return true;
  if (isCurrentProcess(writer)) return true;
  try {
    process.kill(writer.pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const linux = linuxProcess(writer.pid);
  if (linux === undefined) return true;
  if (linux.state === 'Z' || linux.state === 'X') return false;
  return writer.processStart === null || linux.start === writer.processStart;
}
