/**
 * A progress bar on stderr that appears only once a job has run for a second
 * (`[H2]`: quick jobs print nothing but their result), redraws at most ten
 * times a second, in place on a terminal and as occasional lines otherwise.
 */
export class ProgressLine {
  private readonly started = Date.now()
  private last = 0
  private shown = false

  constructor(
    private readonly err: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly unit: string,
    private readonly delayMs = 1000,
  ) {}

  update(done: number, total: number): void {
    const now = Date.now()
    if (now - this.started < this.delayMs) return
    const tty = this.err.isTTY === true
    if (now - this.last < (tty ? 100 : 2000) && done < total) return
    this.last = now
    this.shown = true
    this.err.write(tty ? `\r${this.render(done, total)}` : `${this.render(done, total)}\n`)
  }

  /** Ends the bar's line (if one was drawn on a terminal). */
  end(): void {
    if (this.shown && this.err.isTTY === true) this.err.write('\n')
  }

  render(done: number, total: number, width = 30): string {
    const secs = Math.max(0.001, (Date.now() - this.started) / 1000)
    const rate = `${Math.round(done / secs).toLocaleString('en-US')} ${this.unit}/s`
    if (total <= 0) return `${done.toLocaleString('en-US')} ${this.unit} (${rate})`
    const f = Math.min(1, done / total)
    const filled = Math.round(f * width)
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(1)}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${this.unit} (${rate})`
  }
}
