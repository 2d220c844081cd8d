import type { LlmModel, LlmResult } from '@workbench/sdk/llm';

/** Ask a vision model to describe an image (bytes of a PNG or JPEG). */
export async function caption(model: LlmModel, image: Uint8Array, opts: { maxTokens?: number } = {}): Promise<LlmResult> {
  const b64 = Buffer.from(image).toString('base64');
  return model.generate('Describe this image in one sentence.', { images: [b64], maxTokens: opts.maxTokens ?? 64 });
}

/** A 1×1 red PNG, for tests. */
export const RED_PIXEL_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
