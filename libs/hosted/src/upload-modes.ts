/** Files at least this large go to LFS (the Hub's threshold, which huggingface_hub expects). */
export const LFS_SIZE_THRESHOLD = 10 * 1024 * 1024;

/** Extensions the Hub's default `.gitattributes` tracks with LFS. */
const LFS_EXTENSIONS = new Set(
  [
    '7z',
    'arrow',
    'bin',
    'bz2',
    'ckpt',
    'ftz',
    'gz',
    'h5',
    'joblib',
    'lfs',
    'mlmodel',
    'model',
    'msgpack',
    'npy',
    'npz',
    'onnx',
    'ot',
    'parquet',
    'pb',
    'pickle',
    'pkl',
    'pt',
    'pth',
    'rar',
    'safetensors',
    'tar',
    'tflite',
    'tgz',
    'wasm',
    'xz',
    'zip',
    'zst',
    'gguf',
    'mp3',
    'wav',
    'ogg',
    'flac',
    'png',
    'jpg',
    'jpeg',
    'webp',
    'mp4',
    'tfevents',
  ].map((e) => `.${e}`),
);

/** `lfs` or `regular`, decided like the Hub: by size, by extension, and binary content in the sample. */
export function uploadModeFor(path: string, size: number, sample: Buffer): 'lfs' | 'regular' {
  if (size >= LFS_SIZE_THRESHOLD) return 'lfs';
  const name = path.split('/').at(-1)!.toLowerCase();
  const dot = name.lastIndexOf('.');
  if (dot > 0 && LFS_EXTENSIONS.has(name.slice(dot))) return 'lfs';
  return sample.includes(0) ? 'lfs' : 'regular';
}
