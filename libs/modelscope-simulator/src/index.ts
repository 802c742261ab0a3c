export * from './modelscope-simulator';
