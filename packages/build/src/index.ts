/**
 * @module @corral/build
 * Host-side compilation of plugins: TypeScript, JSX and imports in, one script out.
 */
export {
  buildPlugin,
  formatBuildMessage,
  PluginBuildError,
  type BuildMessage,
  type BuildPluginOptions,
  type BuiltPlugin,
} from './buildPlugin.js';
