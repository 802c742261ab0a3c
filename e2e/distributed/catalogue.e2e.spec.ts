import { http, tempDir } from '@dingo/testing';
import { runProcess } from '../cli/cli-world';
import { Cluster, MiB, startCluster } from './cluster';

/** The catalogue in distributed mode: migrated by the metadata app, shared by every gateway (MySQL). */
describe('catalogue in distributed mode', () => {
  let c: Cluster;
  const home = tempDir('dist-cli');
  beforeAll(async () => {
    c = await startCluster();
    await c.sim.addRepo({
      type: 'model',
      id: 'org/dist-model',
      pipelineTag: 'text-generation',
      libraryName: 'transformers',
      commits: [
        {
          files: [
            { path: 'config.json', content: '{"model_type":"bert"}' },
            { path: 'model.safetensors', size: 3 * MiB + 7 },
          ],
        },
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await c?.close();
    home.cleanup();
  });

  it('records what the CLI pulled through one gateway and lists it through the other', async () => {
    const a = c.gatewayA.url;
    const b = c.gatewayB.url;
    const pull = await runProcess(['pull', 'org/dist-model', '--dest', home.path, '--json'], {
      DINGO_ENDPOINT: a,
      DINGO_CONFIG_DIR: home.path,
    });
    expect(pull.stderr).toBe('');
    expect(pull.code).toBe(0);
    expect(JSON.parse(pull.stdout)).toMatchObject({ files: 2, fetchedFiles: 2 });
    // Writes are off the request path: wait until the other gateway sees them.
    let items: Array<Record<string, any>> = [];
    for (let i = 0; i < 50; i++) {
      items = JSON.parse((await http(`${b}/admin/v1/catalogue?search=dist`)).body.toString());
      if (items[0]?.dingo?.cachedFiles === 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(items).toEqual([
      expect.objectContaining({
        id: 'org/dist-model',
        pipeline_tag: 'text-generation',
        library_name: 'transformers',
        dingo: expect.objectContaining({ cachedFiles: 2, cachedBytes: 3 * MiB + 7 + 21, fileCount: 2 }),
      }),
    ]);
    const local = await http(`${b}/api/models?local=true&pipeline_tag=text-generation`);
    expect(local.headers['x-dingo-cache']).toBe('LOCAL');
    expect(JSON.parse(local.body.toString()).map((m: { id: string }) => m.id)).toEqual(['org/dist-model']);
    const list = await runProcess(['list', '--json'], { DINGO_ENDPOINT: b, DINGO_CONFIG_DIR: home.path });
    expect(JSON.parse(list.stdout).map((m: { id: string }) => m.id)).toEqual(['org/dist-model']);
  });
});
