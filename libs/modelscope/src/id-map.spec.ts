import { BUILTIN_ORG_RENAMES, ModelScopeIdMap } from './id-map';

describe('ModelScopeIdMap', () => {
  it('keeps ids of orgs that publish under the same name on both sites', () => {
    const ids = new ModelScopeIdMap();
    expect(ids.toModelScope({ type: 'model', id: 'Qwen/Qwen3-0.6B' })).toBe('Qwen/Qwen3-0.6B');
    expect(ids.toModelScope({ type: 'model', id: 'deepseek-ai/DeepSeek-R1' })).toBe(
      'deepseek-ai/DeepSeek-R1',
    );
  });

  it('renames built-in orgs (meta-llama → LLM-Research), case-insensitively on the Hub side', () => {
    const ids = new ModelScopeIdMap();
    expect(BUILTIN_ORG_RENAMES['meta-llama']).toBe('LLM-Research');
    expect(ids.toModelScope({ type: 'model', id: 'meta-llama/Meta-Llama-3-8B-Instruct' })).toBe(
      'LLM-Research/Meta-Llama-3-8B-Instruct',
    );
    expect(ids.toModelScope({ type: 'model', id: 'Meta-Llama/Llama-3.3-70B-Instruct' })).toBe(
      'LLM-Research/Llama-3.3-70B-Instruct',
    );
  });

  it('prefers a configured repo entry, then a configured org entry, over the built-in renames', () => {
    const ids = new ModelScopeIdMap({
      'meta-llama': 'my-mirror',
      'meta-llama/Llama-2-7b-hf': 'modelscope/Llama-2-7b-ms',
      google: 'AI-ModelScope',
    });
    expect(ids.toModelScope({ type: 'model', id: 'meta-llama/Llama-2-7b-hf' })).toBe(
      'modelscope/Llama-2-7b-ms',
    );
    expect(ids.toModelScope({ type: 'model', id: 'meta-llama/Other' })).toBe('my-mirror/Other');
    expect(ids.toModelScope({ type: 'model', id: 'google/gemma-2b' })).toBe('AI-ModelScope/gemma-2b');
  });

  it('tells mapped ids (configured or built in) from same-named ones', () => {
    const ids = new ModelScopeIdMap({ 'org/repo': 'ms/repo', acme: 'acme-ms' });
    expect(ids.isMapped({ type: 'model', id: 'meta-llama/Llama-3' })).toBe(true);
    expect(ids.isMapped({ type: 'model', id: 'org/repo' })).toBe(true);
    expect(ids.isMapped({ type: 'model', id: 'ACME/thing' })).toBe(true);
    expect(ids.isMapped({ type: 'model', id: 'org/other' })).toBe(false);
    expect(ids.isMapped({ type: 'model', id: 'Qwen/Qwen3-0.6B' })).toBe(false);
  });

  it('has no counterpart for spaces, ids without a namespace or with odd characters', () => {
    const ids = new ModelScopeIdMap();
    expect(ids.toModelScope({ type: 'space', id: 'org/app' })).toBeUndefined();
    expect(ids.toModelScope({ type: 'model', id: 'gpt2' })).toBeUndefined();
    expect(ids.toModelScope({ type: 'model', id: 'a/b/c' })).toBeUndefined();
    expect(ids.toModelScope({ type: 'model', id: 'org/..' })).toBeUndefined();
    expect(ids.toModelScope({ type: 'model', id: 'org/na me' })).toBeUndefined();
    expect(ids.toModelScope({ type: 'dataset', id: 'org/data' })).toBe('org/data');
  });
});
