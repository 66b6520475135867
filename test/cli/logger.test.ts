import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../src/pino-logger.js'

function sink(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  let text = ''
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk)
      cb()
    },
  })
  return { stream, lines: () => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) }
}

describe('CLI logger (pino)', () => {
  it('writes one JSON object per line with level, time, message and fields', () => {
    const s = sink()
    const log = createLogger({ destination: s.stream, pretty: false })
    log.info('room loaded', { room: 'studio', entries: 3 })
    const [line] = s.lines()
    expect(line).toMatchObject({ level: 30, msg: 'room loaded', room: 'studio', entries: 3 })
    expect(typeof line!.time).toBe('string')
  })

  it('drops lines below the chosen level', () => {
    const s = sink()
    const log = createLogger({ destination: s.stream, level: 'warn' })
    log.debug('noise')
    log.info('noise')
    log.warn('kept')
    log.error('kept too', { code: 4500 })
    expect(s.lines().map((l) => l.msg)).toEqual(['kept', 'kept too'])
  })
})
