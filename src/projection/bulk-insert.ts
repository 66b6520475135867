/**
 * Inserts many rows of one table with multi-row INSERT statements: one
 * statement call per CHUNK rows instead of one per row. The projector's sink
 * spends most of its time in per-row statement calls (binding and stepping
 * cost little next to crossing into SQLite and resetting the statement), and
 * a batch carries hundreds of history and event rows.
 */
import type { SqlDatabase, SqlStatement } from './sql.js'

/** Rows per statement: 18 columns × 32 rows stays far below SQLite's 32,766 bound parameters. */
const CHUNK = 32

export class BulkInsert {
  private readonly one: SqlStatement
  private many: SqlStatement | null = null
  private readonly params: unknown[]

  constructor(
    private readonly db: SqlDatabase,
    /** `INSERT INTO t (a, b) VALUES` or `INSERT INTO t VALUES`: the statement up to its values. */
    private readonly head: string,
    private readonly width: number,
  ) {
    this.one = db.prepare(`${head} ${this.tuple()}`)
    this.params = new Array<unknown>(width * CHUNK)
  }

  private tuple(): string {
    return `(${Array(this.width).fill('?').join(', ')})`
  }

  /** Inserts `count` rows; `fill(i, out, at)` writes row i's `width` values into `out` from index `at`. */
  insert(count: number, fill: (i: number, out: unknown[], at: number) => void): void {
    let i = 0
    if (count >= CHUNK) {
      this.many ??= this.db.prepare(`${this.head} ${Array(CHUNK).fill(this.tuple()).join(', ')}`)
      const p = this.params
      for (; i + CHUNK <= count; i += CHUNK) {
        for (let k = 0; k < CHUNK; k++) fill(i + k, p, k * this.width)
        this.many.run(...p)
      }
    }
    const row = new Array<unknown>(this.width)
    for (; i < count; i++) {
      fill(i, row, 0)
      this.one.run(...row)
    }
  }
}
