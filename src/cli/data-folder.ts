/** Where the embedded store keeps its files inside the data folder. */
import path from 'node:path'

export const DEFAULT_DATA = './data'

export function projectionFile(data: string): string {
  return path.join(data, 'projection.sqlite')
}
