/**
 * Starts the worker thread whose code is the module at `moduleUrl` (the
 * caller's own `import.meta.url`). Built, that is the `.js` file in dist/;
 * run from source (tests, benchmarks under tsx), a `.ts` file Node cannot load
 * alone, so the thread registers tsx before importing it.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads'

export function startWorker(moduleUrl: string, workerData: unknown, opts: Omit<WorkerOptions, 'eval' | 'workerData'> = {}): Worker {
  const url = new URL(moduleUrl)
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { ...opts, workerData })
  const tsx = import.meta.resolve('tsx/esm/api')
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}) })`
  return new Worker(boot, { ...opts, eval: true, workerData })
}
