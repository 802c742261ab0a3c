export { HubSimulator } from './hub-simulator';
export type {
  SimCommit,
  SimCommitSpec,
  SimFault,
  SimFileInfo,
  SimFileSpec,
  SimOptions,
  SimOrigin,
  SimRepo,
  SimRepoSpec,
  SimRepoType,
  SimRequestRecord,
  SimStats,
  SimTokenGrant,
} from './types';
export { gitBlobSha1, lfsPointerText } from './git-objects';
export { downloadScript, pythonWithXet, runPythonXet, PYTHON_XET_PACKAGES } from './python-xet-client';
