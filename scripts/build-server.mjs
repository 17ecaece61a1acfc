// Bundles browser mode's server (src/server/serve.ts) to out/server/serve.mjs, so the end-to-end tests and
// `npm run serve:built` start it with plain Node instead of transpiling the whole engine through tsx on every start.
// Native packages and the lazily loaded NLP stay external, as in the worker bundles.
import { bundleForNode } from './bundle.mjs';

const started = performance.now();
await bundleForNode({ serve: 'src/server/serve.ts' }, 'out/server', { packages: 'external' });
console.log(`server built in ${(performance.now() - started).toFixed(0)} ms → out/server`);
