// Imports run one way through src/ (README, "Project layout"): `npx depcruise src` in .ci/run
// fails on a wrong-way import, a cycle, or pm2 loaded outside src/pm2/.
// Each folder may import the folders listed for it, itself, and the shared leaves.
const LEAVES = ['src/errors\\.ts$', 'src/trace\\.ts$', 'src/bun-pm-files\\.ts$', 'src/invocation\\.ts$']
const MAY_IMPORT = {
  'types': [],
  'model': ['types'],
  'os': ['types', 'model'],
  'config': ['types', 'model', 'os'],
  'plan': ['types', 'model', 'os', 'config'],
  'pm2': ['types', 'model', 'os'],
  'supervise': ['types', 'model', 'os', 'config', 'plan', 'pm2'],
  'agent': ['types', 'model', 'os', 'pm2'],
  'worker': ['types', 'model'],
  'report': ['types', 'model', 'os', 'config', 'plan', 'pm2', 'supervise', 'agent/state-file\\.ts$'],
  'dev': ['types', 'model', 'os', 'config', 'plan', 'pm2', 'supervise', 'report', 'agent/state-file\\.ts$'],
  'start': ['types', 'model', 'os', 'config', 'plan', 'pm2', 'supervise', 'report', 'agent/state-file\\.ts$', 'dev/session\\.ts$'],
  'run': ['types', 'model', 'os', 'config', 'plan', 'pm2', 'supervise', 'report', 'dev', 'start', 'agent/state-file\\.ts$'],
  'testing': ['types', 'model', 'os', 'report', 'run/addresses\\.ts$'],
  'export': ['types', 'model', 'os', 'config', 'plan', 'pm2', 'report'],
  'init': ['types', 'model', 'os', 'config', 'plan', 'pm2', 'report'],
  'monit': ['types', 'model', 'os', 'config', 'plan', 'pm2', 'supervise', 'report', 'agent/state-file\\.ts$', 'start', 'dev/session\\.ts$'],
  'build': [],
  'commands': ['types', 'model', 'os', 'config', 'plan', 'pm2', 'report', 'dev', 'start', 'run', 'export', 'init', 'monit'],
}
const folder = name => name.includes('\\.') || name.includes('$') ? `^src/${name}` : `^src/${name}/`

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'A cycle means two parts cannot be understood apart.', from: {}, to: { circular: true } },
    {
      name: 'pm2-only-in-its-adapter',
      severity: 'error',
      comment: 'pm2 is loaded in src/pm2/ alone: its API costs ~60 ms to load and its shapes stay there. src/types/ may name its StartOptions (`import type`: verbatimModuleSyntax keeps that from loading anything).',
      from: { path: '^src/', pathNot: ['^src/pm2/', '^src/types/'] },
      to: { path: 'node_modules/pm2/' },
    },
    ...Object.entries(MAY_IMPORT).map(([from, allowed]) => ({
      name: `${from}-imports-one-way`,
      severity: 'error',
      comment: `src/${from}/ may import ${allowed.length ? allowed.join(', ') : 'nothing of src/'} (and the shared leaves)`,
      from: { path: folder(from) },
      to: { path: '^src/', pathNot: [folder(from), ...allowed.map(folder), ...LEAVES, '^src/index\\.ts$'.replace('^src/index\\.ts$', '$^')] },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(test|bench|dist|workers)/' },
  },
}
