// Worker threads do not inherit tsx's loader from `node --import tsx`: register it here.
import { register } from 'tsx/esm/api'

register()
await import('./blender-peers.ts')
