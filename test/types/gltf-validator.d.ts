/** The parts of the Khronos validator's npm package the tests use (it ships no types). */
declare module 'gltf-validator' {
  export interface ValidationReport {
    issues: { numErrors: number; numWarnings: number; numInfos: number; numHints: number; messages: Array<{ code: string; message: string; severity: number; pointer?: string }> }
  }
  export function validateBytes(data: Uint8Array, options?: { maxIssues?: number; ignoredIssues?: string[] }): Promise<ValidationReport>
  const validator: { validateBytes: typeof validateBytes }
  export default validator
}
