// Every command batchwise starts runs in its own process group (spawned detached), so that the
// command AND everything it started (a Python interpreter, torchrun's workers, a shell's
// children) can be ended together with kill(-pgid). Groups still alive when batchwise exits
// are killed on the way out.

const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
  });
}

/** Sends a signal to a whole process group; false when no process of it is left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export function registerGroup(pgid: number): void {
  installExitHook();
  liveGroups.add(pgid);
}

/** Kills what is left of a group and forgets it. */
export function endGroup(pgid: number): void {
  signalGroup(pgid, 'SIGKILL');
  liveGroups.delete(pgid);
}

/** Process groups started and not yet ended (for leak checks). */
export function liveGroupCount(): number {
  return liveGroups.size;
}
