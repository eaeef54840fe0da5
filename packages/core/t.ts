import variant from '@jitl/quickjs-wasmfile-release-sync';
import { createRuntime } from './src/index.ts';
import { armedPlugin, ATTACKS } from './src/testing/index.ts';
const rt = await createRuntime({ variant });
rt.onNotification((n) => {
  if (n.notification === 'diagnostic' && n.diagnostic.kind === 'call' && n.diagnostic.errorCode)
    console.log('  diag', JSON.stringify(n.diagnostic));
});
for (const name of ['arrayPush', 'typedArrays', 'arrayPush', 'hugeArray'] as const) {
  const id = name + Math.random();
  let t = performance.now();
  await rt.loadPlugin({
    pluginId: id,
    code: armedPlugin('render', ATTACKS[name]),
    profile: 'strict',
    limits: { renderTimeoutMs: 2000 },
  });
  console.log('load', (performance.now() - t).toFixed(1));
  t = performance.now();
  await rt.health();
  console.log('health', (performance.now() - t).toFixed(1));
  t = performance.now();
  try {
    await rt.render({ pluginId: id, widgetId: 'main', pluginState: { attack: true }, globalState: {} });
  } catch (e: any) {
    console.log(name, e.code, e.message, JSON.stringify(e.details), (performance.now() - t).toFixed(1), 'ms');
  }
}
