/**
 * Scene-wide settings: root map `scene`. Today only `camera`, the object id of
 * the scene's active camera (or null).
 */
import type * as Y from 'yjs'
import { checkRef } from './data-block.js'
import type { Problem } from './scene-object.js'

export const SCENE_KEY = 'scene'

export interface SceneSettings {
  camera: string | null
}

export function readSceneSettings(map: Y.Map<unknown>, problems: Problem[]): SceneSettings {
  const out: SceneSettings = { camera: null }
  const v = map.get('camera')
  if (v === undefined || v === null) return out
  const c = checkRef(v, 'scene.camera')
  if (c.ok) out.camera = c.value
  else problems.push({ objectId: '', key: 'scene.camera', value: v, reason: c.reason })
  return out
}
