// @milab/core: the only code that talks to Azure.
export * from './errors.js';
export * from './retry.js';
export * from './paths.js';
export * from './naming.js';
export * from './config.js';
export * from './claims.js';
export * from './imds.js';
export * from './credentials.js';
export * from './arm.js';
export * from './normalize.js';
export * from './throttle.js';
