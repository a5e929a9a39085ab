// One `exit` listener for the whole process, however many runs it holds (the extension host may run
// several): each run registers its synchronous last-moment cleanup here and unregisters it when it
// has cleaned up normally.
const cleanups = new Set<() => void>();
let installed = false;

export function onProcessExit(fn: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', () => {
      for (const f of [...cleanups]) {
        try {
          f();
        } catch {
          // best effort: the next run takes over what is left (dead pid)
        }
      }
    });
  }
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}
