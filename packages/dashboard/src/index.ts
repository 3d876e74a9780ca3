export type {
  DashboardState,
  DashboardClassResult,
  DashboardCheckInfo,
  DashboardCheckResult,
  DashboardGradeError,
  DashboardGradeStatus,
  DashboardLabMark,
  DashboardLearner,
  DashboardLearnerLab,
  DashboardMistake,
  DashboardScore,
} from './state.js';
export { DASHBOARD_STATE_SCHEMA_VERSION } from './state.js';
export { startDashboardServer, DASHBOARD_HOST, HEARTBEAT_MS, CONTENT_SECURITY_POLICY, type DashboardServer, type DashboardServerOptions } from './server.js';
export { dashboardAssets, dashboardCacheDir, buildProblems, DASHBOARD_CACHE_ENV, APP_DIR, type DashboardAssets } from './assets.js';
export { bundleAssets, bundleCacheDir, pageHtml, type BundleSpec, type BundledAssets, type PageHtml } from './assets.js';
export { DashboardError, type DashboardErrorOptions } from './errors.js';
export { sampleDashboardState, sampleLearnerId, type SampleOptions } from './testing.js';
