import { listModels } from '@workbench/sdk/llm';

/** Where the LLM server is and which model to use: WB_LLM_ENDPOINT and WB_LLM_MODEL, else the first model it has. */
export async function settings(): Promise<{ endpoint: string; model: string }> {
  const endpoint = process.env.WB_LLM_ENDPOINT ?? 'http://127.0.0.1:11435';
  const model = process.env.WB_LLM_MODEL ?? (await listModels({ endpoint }))[0]?.name;
  if (!model) throw new Error(`the server at ${endpoint} has no models; start one with: wb llm serve MODEL.gguf`);
  return { endpoint, model };
}
