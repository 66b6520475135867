import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** A fresh temporary folder under the OS temp dir; remove it with `rmTmp`. */
export function tmpDir(prefix = 'scenesync-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export function rmTmp(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true })
}
