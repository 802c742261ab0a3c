// @casl/ability 7 publishes its types only through package.json "exports", which the repo's
// `moduleResolution: node` does not read; point TypeScript at them.
declare module '@casl/ability' {
  export * from '@casl/ability/dist/types/index';
}
