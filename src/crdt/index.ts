export * from './xform.js'
export * from './scene-object.js'
export * from './scene-doc.js'
export * from './scene-changes.js'
