import { LFS_SIZE_THRESHOLD, uploadModeFor } from './upload-modes';

describe('uploadModeFor (what preupload answers)', () => {
  const text = Buffer.from('hello');
  it.each([
    ['config.json', 100, text, 'regular'],
    ['README.md', LFS_SIZE_THRESHOLD - 1, text, 'regular'],
    ['big.txt', LFS_SIZE_THRESHOLD, text, 'lfs'],
    ['model.safetensors', 10, text, 'lfs'],
    ['weights/PYTORCH_MODEL.BIN', 10, text, 'lfs'],
    ['data/train.parquet', 10, text, 'lfs'],
    ['blob', 10, Buffer.from([1, 0, 2]), 'lfs'],
    ['.gitattributes', 10, text, 'regular'],
  ])('%s (%d bytes) -> %s', (path, size, sample, mode) => {
    expect(uploadModeFor(path, size, sample)).toBe(mode);
  });
});
