/**
 * The 3D view: a WebGL renderer in the page's viewport, a perspective camera
 * with orbit/pan/zoom, a floor grid with Blender's red X and green Y axes,
 * and a draw loop that renders only when something changed (the graph's
 * version, the camera, the size) but measures every animation frame, so the
 * benchmark sees what a person would feel.
 */
import * as THREE from 'three'
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js'

/**
 * Whether WebGL runs in software (SwiftShader in headless or GPU-less
 * Chromium, llvmpipe): there, antialiasing costs about 1.7× per frame, so it
 * is off unless the address says `?aa=1`.
 */
export function softwareGL(): boolean {
  const c = document.createElement('canvas')
  const gl = c.getContext('webgl2') ?? c.getContext('webgl')
  if (!gl) return false
  let name = String(gl.getParameter(gl.RENDERER))
  if (/^WebKit/.test(name)) {
    const ext = gl.getExtension('WEBGL_debug_renderer_info')
    if (ext) name = String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL))
  }
  gl.getExtension('WEBGL_lose_context')?.loseContext()
  return /swiftshader|llvmpipe|softpipe|software/i.test(name)
}

function antialias(): boolean {
  const q = new URLSearchParams(location.search).get('aa')
  return q === null ? !softwareGL() : q === '1'
}

export class Viewport {
  readonly renderer: THREE.WebGLRenderer
  readonly scene = new THREE.Scene()
  readonly camera = new THREE.PerspectiveCamera(45, 1, 0.05, 5000)
  readonly controls: OrbitControls
  private dirty = true
  private contentDirty = false
  private lastDraw = 0
  /** At most this often the scene is redrawn for changes other people made (ms); `?fps=60` for every frame. */
  contentIntervalMs = 1000 / Number(new URLSearchParams(location.search).get('fps') ?? 30)
  private readonly hooks: Array<(dtMs: number) => boolean | void> = []
  private last = performance.now()
  private grid: THREE.Object3D | null = null
  /** rAF intervals (ms), the last few thousand. */
  readonly frameIntervals: number[] = []
  /** Time spent in hooks + render per drawn frame (ms). */
  readonly renderTimes: number[] = []
  frames = 0
  /** performance.now() of the first drawn frame after `markContent`. */
  firstContentFrame: number | null = null
  private contentPending = false
  onPick: (id: string | null, e: PointerEvent) => void = () => {}
  pickAt: (ray: THREE.Raycaster) => string | null = () => null

  constructor(private readonly container: HTMLElement) {
    this.renderer = new THREE.WebGLRenderer({ antialias: antialias(), powerPreference: 'high-performance' })
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2))
    this.renderer.setClearColor(0x1a1c20)
    container.prepend(this.renderer.domElement)
    this.scene.add(new THREE.HemisphereLight(0xdfe6f0, 0x30343a, 1.6))
    const sun = new THREE.DirectionalLight(0xffffff, 1.4)
    sun.position.set(4, 10, 6)
    this.scene.add(sun)
    // Blender's default view: from front-right, above.
    this.camera.position.set(9, 7, 11)
    this.controls = new OrbitControls(this.camera, this.renderer.domElement)
    this.controls.enableDamping = true
    this.controls.dampingFactor = 0.12
    this.controls.addEventListener('change', () => (this.dirty = true))
    this.setGrid(20)
    new ResizeObserver(() => this.resize()).observe(container)
    this.resize()
    this.listenForClicks()
    requestAnimationFrame((t) => this.loop(t))
  }

  /** Asks for a redraw on the next frame. */
  invalidate(): void {
    this.dirty = true
  }

  /** Called every animation frame with the time since the last; returns true to redraw. */
  onFrame(hook: (dtMs: number) => boolean | void): void {
    this.hooks.push(hook)
  }

  /** The next drawn frame is the first to show content: note its time. */
  markContent(): void {
    if (this.firstContentFrame === null) this.contentPending = true
    this.dirty = true
  }

  /** Points the camera at a box (three.js world space), keeping the viewing angle. */
  frame(world: THREE.Box3): void {
    if (world.isEmpty()) return
    const center = world.getCenter(new THREE.Vector3())
    const radius = Math.max(world.getSize(new THREE.Vector3()).length() / 2, 2)
    const dir = this.camera.position.clone().sub(this.controls.target).normalize()
    const dist = (radius / Math.sin(THREE.MathUtils.degToRad(this.camera.fov / 2))) * 0.75
    this.controls.target.copy(center)
    this.camera.position.copy(center).addScaledVector(dir, dist)
    this.camera.far = Math.max(5000, dist * 20)
    this.camera.updateProjectionMatrix()
    this.setGrid(Math.max(20, Math.ceil((radius * 3) / 10) * 10), center)
    this.dirty = true
  }

  private setGrid(size: number, center?: THREE.Vector3): void {
    if (this.grid) this.scene.remove(this.grid)
    const g = new THREE.Group()
    const divisions = size
    const grid = new THREE.GridHelper(size, divisions, 0x3a3f47, 0x2a2e34)
    const axes = new THREE.LineSegments(
      new THREE.BufferGeometry().setAttribute('position', new THREE.Float32BufferAttribute([-size / 2, 0.001, 0, size / 2, 0.001, 0, 0, 0.001, size / 2, 0, 0.001, -size / 2], 3)),
      new THREE.LineBasicMaterial({ vertexColors: false, color: 0xffffff }),
    )
    // Blender colours: X red, Y (three.js -Z) green.
    axes.geometry.setAttribute('color', new THREE.Float32BufferAttribute([0.86, 0.3, 0.33, 0.86, 0.3, 0.33, 0.45, 0.72, 0.3, 0.45, 0.72, 0.3], 3))
    ;(axes.material as THREE.LineBasicMaterial).vertexColors = true
    g.add(grid, axes)
    if (center) g.position.set(Math.round(center.x), 0, Math.round(center.z))
    this.grid = g
    this.scene.add(g)
  }

  private resize(): void {
    const w = Math.max(1, this.container.clientWidth)
    const h = Math.max(1, this.container.clientHeight)
    this.renderer.setSize(w, h, false)
    this.camera.aspect = w / h
    this.camera.updateProjectionMatrix()
    this.dirty = true
  }

  private listenForClicks(): void {
    const el = this.renderer.domElement
    let down: { x: number; y: number } | null = null
    el.addEventListener('pointerdown', (e) => (down = { x: e.clientX, y: e.clientY }))
    el.addEventListener('pointerup', (e) => {
      if (!down || Math.hypot(e.clientX - down.x, e.clientY - down.y) > 4 || e.button !== 0) return
      down = null
      this.onPick(this.pickFrom(e.clientX, e.clientY), e)
    })
  }

  /** The object under a point of the page (client coordinates), or null. */
  pickFrom(clientX: number, clientY: number): string | null {
    const r = this.renderer.domElement.getBoundingClientRect()
    const ndc = new THREE.Vector2(((clientX - r.left) / r.width) * 2 - 1, -((clientY - r.top) / r.height) * 2 + 1)
    const ray = new THREE.Raycaster()
    ray.setFromCamera(ndc, this.camera)
    return this.pickAt(ray)
  }

  /** Where a point in three.js world space shows in the viewport (CSS pixels from its corner), or null behind the camera. */
  toScreen(world: THREE.Vector3): { x: number; y: number } | null {
    const p = world.clone().project(this.camera)
    if (p.z > 1 || p.z < -1) return null
    const r = this.renderer.domElement.getBoundingClientRect()
    return { x: ((p.x + 1) / 2) * r.width, y: ((1 - p.y) / 2) * r.height }
  }

  private loop(now: number): void {
    const dt = now - this.last
    this.last = now
    if (this.frames > 0) {
      this.frameIntervals.push(dt)
      if (this.frameIntervals.length > 5000) this.frameIntervals.splice(0, 1000)
    }
    this.frames++
    const t0 = performance.now()
    // The camera (the person's own hand) redraws every frame; changes that came in from
    // others redraw at most every `contentIntervalMs`, so a stream of remote edits does not
    // keep a software renderer busy at 60 Hz.
    if (this.controls.update()) this.dirty = true
    for (const h of this.hooks) if (h(dt)) this.contentDirty = true
    if (this.contentDirty && (this.contentPending || now - this.lastDraw >= this.contentIntervalMs - 2)) this.dirty = true
    if (this.dirty) {
      this.dirty = false
      this.contentDirty = false
      this.lastDraw = now
      this.renderer.render(this.scene, this.camera)
      this.renderTimes.push(performance.now() - t0)
      if (this.renderTimes.length > 5000) this.renderTimes.splice(0, 1000)
      if (this.contentPending) {
        this.contentPending = false
        this.firstContentFrame = performance.now()
      }
    }
    requestAnimationFrame((t) => this.loop(t))
  }
}
