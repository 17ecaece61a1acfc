// Builds better-sqlite3 for Electron's ABI into out/native/electron/better_sqlite3.node, apart from the Node
// build in node_modules that tests and benchmarks load (which is never rebuilt in place). `npm start` runs this
// before launching Electron; src/main/index.ts hands the file to the store workers (better-sqlite3's
// `nativeBinding` option, through STRATA_SQLITE_BINDING).
//
// How: copy node_modules/better-sqlite3 (sources, no build) to out/native/electron-src, then in that copy try a
// prebuilt Electron binary (prebuild-install, from the package's GitHub releases), and failing that compile it
// with node-gyp against Electron's headers (https://electronjs.org/headers). Skipped when the stamp says the
// same Electron and better-sqlite3 versions were already built. Needs a network the first time.
//
// STRATA_NATIVE_RUNTIME=node builds for this Node instead (checks the mechanics where Electron cannot run).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'));
const runtime = process.env.STRATA_NATIVE_RUNTIME === 'node' ? 'node' : 'electron';
const target = runtime === 'node' ? process.versions.node : pkg('electron').version;
const sqliteVersion = pkg('better-sqlite3').version;
const outDir = join(root, 'out', 'native', runtime);
const outFile = join(outDir, 'better_sqlite3.node');
const stampFile = join(outDir, 'stamp.json');
const stamp = { runtime, target, betterSqlite3: sqliteVersion, arch: process.arch, platform: process.platform };

if (existsSync(outFile) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === JSON.stringify(stamp)) {
  console.log(`better-sqlite3 ${sqliteVersion} for ${runtime} ${target}: already built at ${outFile}`);
  process.exit(0);
}

const work = join(root, 'out', 'native', `${runtime}-src`, 'better-sqlite3');
rmSync(dirname(work), { recursive: true, force: true });
mkdirSync(dirname(work), { recursive: true });
cpSync(join(root, 'node_modules', 'better-sqlite3'), work, {
  recursive: true,
  filter: (src) => !src.startsWith(join(root, 'node_modules', 'better-sqlite3', 'build')),
});

const env = {
  ...process.env,
  npm_config_runtime: runtime,
  npm_config_target: target,
  npm_config_arch: process.arch,
  ...(runtime === 'electron' && { npm_config_disturl: 'https://electronjs.org/headers' }),
};
const run = (cmd, args) =>
  spawnSync(cmd, args, { cwd: work, env, stdio: 'inherit', shell: process.platform === 'win32' });

const started = performance.now();
let built = false;
const prebuild = join(root, 'node_modules', 'prebuild-install', 'bin.js');
if (runtime === 'electron' && existsSync(prebuild)) {
  console.log(`better-sqlite3 ${sqliteVersion}: fetching a prebuilt binary for Electron ${target}…`);
  built =
    run(process.execPath, [prebuild, '--runtime', 'electron', '--target', target, '--arch', process.arch]).status === 0;
}
if (!built) {
  console.log(`better-sqlite3 ${sqliteVersion}: compiling for ${runtime} ${target} with node-gyp…`);
  // npm puts its bundled node-gyp on the PATH of scripts; the package's own build script calls it.
  built = run('npm', ['run', 'build-release', '--silent']).status === 0;
}
const produced = join(work, 'build', 'Release', 'better_sqlite3.node');
if (!built || !existsSync(produced)) {
  console.error(`could not build better-sqlite3 for ${runtime} ${target}; see the output above`);
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
cpSync(produced, outFile);
writeFileSync(stampFile, JSON.stringify(stamp));
rmSync(dirname(work), { recursive: true, force: true });
console.log(
  `better-sqlite3 for ${runtime} ${target} → ${outFile} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
);
