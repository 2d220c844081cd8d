import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export interface BenchPrompt {
  id: string;
  prompt: string;
  /** Tokens to generate for this prompt (the --max-tokens flag overrides). */
  maxTokens: number;
  class: 'short' | 'medium' | 'long' | 'custom';
}

const CONTEXT = [
  'The printing press, introduced in Europe by Johannes Gutenberg around 1440, combined movable metal type, oil-based ink and a screw press adapted from wine making.',
  'Within fifty years presses operated in more than two hundred cities, and millions of volumes had been printed.',
  'Standardised texts allowed scholars in distant cities to cite the same page and compare observations, which helped the new experimental sciences accumulate results.',
  'Vernacular printing spread literacy beyond the clergy and the universities, while pamphlets carried religious and political arguments faster than any authority could answer them.',
  'Printers became publishers, editors and booksellers, and copyright law grew out of their disputes over who could reprint a text.',
].join(' ');

/** The standard set: short, medium and long answers, and one long prompt (prefill-heavy). */
export const standardPrompts: readonly BenchPrompt[] = [
  { id: 'short-capital', class: 'short', maxTokens: 16, prompt: 'What is the capital of France? Answer in one word.' },
  { id: 'short-arithmetic', class: 'short', maxTokens: 16, prompt: 'What is 17 times 23? Reply with the number only.' },
  { id: 'medium-explain', class: 'medium', maxTokens: 128, prompt: 'Explain in one paragraph why the sky is blue.' },
  { id: 'medium-code', class: 'medium', maxTokens: 128, prompt: 'Write a Python function that checks whether a string is a palindrome, with a docstring.' },
  { id: 'long-essay', class: 'long', maxTokens: 512, prompt: 'Write a detailed essay of several paragraphs on how the printing press changed science in Europe.' },
  { id: 'long-context-summary', class: 'long', maxTokens: 256, prompt: `${CONTEXT}\n\n${CONTEXT}\n\nSummarise the text above in five bullet points.` },
];

export const PROMPT_FILE_MAX_BYTES = 16 * 1024 * 1024;
export const MAX_PROMPTS = 10_000;
export const MAX_PROMPT_CHARS = 400_000;
const MAX_TOKENS_LIMIT = 1_000_000;

export class PromptFileError extends Error {}

/**
 * A custom prompt set: `.jsonl` (one `{"prompt": "...", "id"?: "...", "max_tokens"?: N}` or a
 * JSON string per line) or `.txt` (one prompt per non-empty line). Errors name the line.
 */
export async function loadPromptFile(file: string, defaultMaxTokens = 128): Promise<BenchPrompt[]> {
  const st = await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new PromptFileError(err.code === 'ENOENT' ? `prompt file '${file}' does not exist` : `cannot read prompt file '${file}': ${err.code ?? err.message}`);
  });
  if (!st.isFile()) throw new PromptFileError(`'${file}' is not a file`);
  if (st.size > PROMPT_FILE_MAX_BYTES) throw new PromptFileError(`prompt file '${file}' is larger than ${PROMPT_FILE_MAX_BYTES / 1024 / 1024} MiB`);
  const text = await readFile(file, 'utf8');
  const ext = path.extname(file).toLowerCase();
  const lines = text.split(/\r?\n/);
  const out: BenchPrompt[] = [];
  const ids = new Set<string>();
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const where = `${path.basename(file)} line ${i + 1}`;
    let prompt: string;
    let id = `p${out.length + 1}`;
    let maxTokens = defaultMaxTokens;
    if (ext === '.jsonl' || ext === '.ndjson') {
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        throw new PromptFileError(`${where}: not JSON (each line of a .jsonl file is {"prompt": "..."} or a JSON string)`);
      }
      if (typeof v === 'string') prompt = v;
      else if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { prompt?: unknown }).prompt === 'string') {
        const o = v as { prompt: string; id?: unknown; max_tokens?: unknown };
        prompt = o.prompt;
        if (o.id !== undefined) {
          if (typeof o.id !== 'string' || !/^[\w.:-]{1,100}$/.test(o.id)) throw new PromptFileError(`${where}: "id" must be 1-100 letters, digits, . _ : -`);
          id = o.id;
        }
        if (o.max_tokens !== undefined) {
          if (typeof o.max_tokens !== 'number' || !Number.isInteger(o.max_tokens) || o.max_tokens < 1 || o.max_tokens > MAX_TOKENS_LIMIT) throw new PromptFileError(`${where}: "max_tokens" must be a whole number from 1 to ${MAX_TOKENS_LIMIT}`);
          maxTokens = o.max_tokens;
        }
      } else throw new PromptFileError(`${where}: expected {"prompt": "..."} or a JSON string`);
    } else if (ext === '.txt' || ext === '') {
      prompt = line;
    } else {
      throw new PromptFileError(`unsupported prompt file type '${ext}': use .jsonl or .txt`);
    }
    if (prompt.trim() === '') throw new PromptFileError(`${where}: the prompt is empty`);
    if (prompt.length > MAX_PROMPT_CHARS) throw new PromptFileError(`${where}: the prompt is longer than ${MAX_PROMPT_CHARS} characters`);
    if (ids.has(id)) throw new PromptFileError(`${where}: id '${id}' is used twice`);
    ids.add(id);
    out.push({ id, prompt, maxTokens, class: 'custom' });
    if (out.length > MAX_PROMPTS) throw new PromptFileError(`more than ${MAX_PROMPTS} prompts in '${file}'`);
  }
  if (out.length === 0) throw new PromptFileError(`prompt file '${file}' has no prompts`);
  return out;
}
