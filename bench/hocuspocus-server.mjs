// The Hocuspocus peer of the sync benchmark, run as its own process with plain
// node (no loader): @hocuspocus/server 4 with its SQLite persistence extension,
// every setting as shipped (store debounced 2 s, at most 10 s; updates that
// arrive in one event-loop turn broadcast merged). Environment: HOST, PORT,
// HOCUSPOCUS_DB (the SQLite file). Prints "listening <port>" once it accepts
// connections. SIGTERM stops it as its own signal handler does (stores, exits).
import { Server } from '@hocuspocus/server'
import { SQLite } from '@hocuspocus/extension-sqlite'

const host = process.env.HOST ?? '127.0.0.1'
const port = Number(process.env.PORT ?? 0)
const database = process.env.HOCUSPOCUS_DB
if (!database) {
  process.stderr.write('HOCUSPOCUS_DB must name the SQLite file\n')
  process.exit(2)
}
const server = new Server({ address: host, port, quiet: true, extensions: [new SQLite({ database })] })
await server.listen(port)
process.stdout.write(`listening ${server.httpServer.address().port}\n`)
