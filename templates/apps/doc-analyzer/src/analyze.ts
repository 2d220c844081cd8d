import { LlmContextOverflowError, type LlmModel, type LlmResult } from '@workbench/sdk/llm';

/**
 * Split a document into pieces that fit the model's context with room for the instructions
 * and the answer, on paragraph boundaries where possible. Tokens are estimated from characters
 * (about 3 per token for English with most tokenizers; fewer with small vocabularies).
 */
export function chunk(text: string, contextLength: number, reserveTokens: number, charsPerToken = 3): string[] {
  const estimateTokens = (s: string) => Math.ceil(s.length / charsPerToken);
  const budget = contextLength - reserveTokens;
  if (budget < 16) throw new Error(`the model's context (${contextLength} tokens) leaves no room for a document after ${reserveTokens} reserved tokens`);
  const pieces: string[] = [];
  let current = '';
  const flush = () => {
    if (current.trim()) pieces.push(current.trim());
    current = '';
  };
  for (const para of text.split(/\n\s*\n/)) {
    if (estimateTokens(current + '\n\n' + para) <= budget) {
      current += (current ? '\n\n' : '') + para;
      continue;
    }
    flush();
    if (estimateTokens(para) <= budget) {
      current = para;
      continue;
    }
    // A paragraph longer than the budget is cut by characters.
    const step = Math.max(1, Math.floor(budget * charsPerToken));
    for (let i = 0; i < para.length; i += step) {
      current = para.slice(i, i + step);
      flush();
    }
  }
  flush();
  return pieces;
}

export interface Analysis {
  chunks: number;
  notes: string[];
  summary: string;
  results: LlmResult[];
}

/**
 * Summarise each piece, then the summaries together. When the server reports that a piece was
 * still too long (with its exact token count), the document is cut again at the measured ratio.
 */
export async function analyze(model: LlmModel, text: string, opts: { maxTokens?: number; maxChunks?: number } = {}): Promise<Analysis> {
  let charsPerToken = 3;
  for (let attempt = 0; ; attempt++) {
    try {
      return await analyzeWith(model, text, charsPerToken, opts);
    } catch (e) {
      if (!(e instanceof LlmContextOverflowError) || e.estimated || attempt >= 2 || !(e as { promptChars?: number }).promptChars) throw e;
      charsPerToken = ((e as unknown as { promptChars: number }).promptChars / e.promptTokens) * 0.9;
    }
  }
}

async function analyzeWith(model: LlmModel, text: string, charsPerToken: number, opts: { maxTokens?: number; maxChunks?: number }): Promise<Analysis> {
  const maxTokens = opts.maxTokens ?? 200;
  const context = model.contextLength ?? 4096;
  const reserve = maxTokens + 64;
  const generate = async (prompt: string) => {
    try {
      return await model.generate(prompt, { maxTokens, temperature: 0.2 });
    } catch (e) {
      if (e instanceof LlmContextOverflowError) Object.assign(e, { promptChars: prompt.length });
      throw e;
    }
  };
  const pieces = chunk(text, context, reserve, charsPerToken).slice(0, opts.maxChunks ?? Infinity);
  const results: LlmResult[] = [];
  for (const [i, piece] of pieces.entries()) results.push(await generate(`Summarise part ${i + 1} of ${pieces.length} of a document in a few sentences:\n\n${piece}`));
  const notes = results.map((r) => r.text.trim());
  if (notes.length <= 1) return { chunks: pieces.length, notes, summary: notes[0] ?? '', results };
  const joined = chunk(notes.join('\n\n'), context, reserve, charsPerToken)[0]!;
  const final = await generate(`Combine these notes into one short summary:\n\n${joined}`);
  return { chunks: pieces.length, notes, summary: final.text.trim(), results: [...results, final] };
}
