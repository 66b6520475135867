/**
 * `npm run bench -- <name>`: runs one benchmark. Progress goes to stderr; the
 * last line on stdout is one JSON object of figures.
 */
const benches: Record<string, () => Promise<Record<string, unknown>>> = {
  core: async () => (await import('./core.js')).runCore(),
  sync: async () => (await import('./sync.js')).runSync(),
  blender: async () => (await import('./blender.js')).runBlender(),
  history: async () => (await import('./history.js')).runHistory(),
  durability: async () => (await import('./durability.js')).runDurability(),
  rooms: async () => (await import('./rooms.js')).runRooms(),
  longrun: async () => (await import('./longrun.js')).runLongrun(),
  scene: async () => (await import('./scene.js')).runScene(),
  web: async () => (await import('./web.js')).runWeb(),
}

const name = process.argv[2]
const bench = name ? benches[name] : undefined
if (!bench) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(benches).join('|')}>\n`)
  process.exit(2)
}
const figures = await bench()
// A bench is one run: once its figures are out it ends, even if a handle it
// leaked (a peer's socket, a generator thread) would keep Node alive (the
// blender bench once sat for over half an hour after printing).
process.stdout.write(JSON.stringify(figures) + '\n', () => process.exit(0))
