export * from './infra';
export * from './python-venvs';
