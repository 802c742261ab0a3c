// One jest config for the monorepo: SWC transpiles TS (with decorator metadata for Nest DI),
// tsconfig paths map to libs' sources.
const { compilerOptions } = require('./tsconfig.base.json');
const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias}$`] = `<rootDir>/${target}`;
}
const swc = ['@swc/jest', JSON.parse(require('fs').readFileSync(__dirname + '/.swcrc', 'utf8'))];
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testTimeout: 60_000,
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  projects: undefined,
};
