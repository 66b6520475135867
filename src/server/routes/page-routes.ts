/** The routes the web view reads, registered by http-api.ts in one line. */
import { activityRoute } from './activity.js'
import { changesRoute } from './changes.js'
import { diffRoute } from './diff.js'
import { objectRoute } from './object.js'
import { spanRoute } from './span.js'
import { roomsRoute } from './rooms.js'
import type { Route, RouteContext, RouteDeps } from './route.js'
import { webViewRoutes } from './web-view.js'

export function pageRoutes(deps: RouteDeps): Route[] {
  return [...webViewRoutes({ auth: deps.tokens !== null }), roomsRoute(deps), spanRoute(deps), activityRoute(deps), changesRoute(deps), diffRoute(deps), objectRoute(deps)]
}

/** Answers with the first route whose pattern matches; false when none does. */
export function dispatch(routes: Route[], ctx: Omit<RouteContext, 'match'>): boolean {
  for (const r of routes) {
    const match = r.pattern.exec(ctx.url.pathname)
    if (match) {
      r.handle({ ...ctx, match })
      return true
    }
  }
  return false
}
