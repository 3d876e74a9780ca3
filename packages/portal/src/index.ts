export { isPortalPath, servePortal, PORTAL_PATH, PORTAL_KEY_HEADER, PORTAL_CONTENT_SECURITY_POLICY, type PortalHost, type PortalPrincipal, type PortalSignIn, type PortalContext, type PortalAudience, type PortalVaultCall, type PortalVaultReply } from './server.js';
export { portalAssets, PORTAL_BUNDLE, PORTAL_CACHE_ENV, type PortalAssets } from './assets.js';
