// The built-in `tokens` data set: a synthetic corpus with learnable structure. Each sequence is
// written by one of `classes` topics; a topic is a sparse Markov chain over the vocabulary in
// which every token has a few likely successors, and all draws follow a topic-specific Zipf
// unigram (Zipf 1935: frequency proportional to 1 / rank). Task 'next-token' predicts each next
// token; task 'classes' predicts the topic of a sequence.

// biome-ignore-all lint/style/noNonNullAssertion: tight loops over typed arrays whose indices are in range by construction (bounded by the arrays' lengths or by sizes checked on entry)

import { createRandom, type Random } from '../analysis/random.js';
import { BatchwiseError, requireInteger } from '../errors.js';
import type { Dataset } from './dataset.js';

export type TokenTask = 'next-token' | 'classes';

export interface TokenCorpusOptions {
  /** Default 2048. */
  readonly sequences?: number | undefined;
  /** Tokens per example; default 32. */
  readonly sequenceLength?: number | undefined;
  /** Default 256. */
  readonly vocabularySize?: number | undefined;
  /** Default 'next-token'. */
  readonly task?: TokenTask | undefined;
  /** Number of topics; default 4. */
  readonly classes?: number | undefined;
  readonly seed: number;
}

/** Probabilities of a token's likely successors; the rest of the mass goes to the unigram. */
const SUCCESSOR_PROBABILITIES = [0.5, 0.2, 0.1, 0.1];

interface Topic {
  /** rank -> token */
  readonly tokenByRank: Int32Array;
  /** token × successor slot -> token */
  readonly successors: Int32Array;
}

/** Index i with cumulative[i-1] <= u < cumulative[i]. */
function searchCumulative(cumulative: Float64Array, u: number): number {
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (cumulative[middle]! > u) high = middle;
    else low = middle + 1;
  }
  return low;
}

function createTopic(vocabularySize: number, zipf: Float64Array, random: Random): Topic {
  const tokenByRank = Int32Array.from({ length: vocabularySize }, (_, i) => i);
  for (let i = vocabularySize - 1; i > 0; i--) {
    const j = random.integer(i + 1);
    [tokenByRank[i], tokenByRank[j]] = [tokenByRank[j]!, tokenByRank[i]!];
  }
  const slots = SUCCESSOR_PROBABILITIES.length;
  const successors = Int32Array.from(
    { length: vocabularySize * slots },
    () => tokenByRank[searchCumulative(zipf, random.uniform())]!,
  );
  return { tokenByRank, successors };
}

export function tokenCorpusDataset(options: TokenCorpusOptions): Dataset {
  const sequences = requireInteger('sequences', options.sequences ?? 2048);
  const sequenceLength = requireInteger('sequenceLength', options.sequenceLength ?? 32);
  const vocabularySize = requireInteger('vocabularySize', options.vocabularySize ?? 256, 2);
  const task = options.task ?? 'next-token';
  if (task !== 'next-token' && task !== 'classes') {
    throw new BatchwiseError(
      'invalid-argument',
      `task must be "next-token" or "classes", got "${String(task)}"`,
    );
  }
  const classes = requireInteger('classes', options.classes ?? 4, task === 'classes' ? 2 : 1);
  const random = createRandom(options.seed);

  const zipf = new Float64Array(vocabularySize);
  let total = 0;
  for (let rank = 0; rank < vocabularySize; rank++) {
    total += 1 / (rank + 1);
    zipf[rank] = total;
  }
  for (let rank = 0; rank < vocabularySize; rank++) zipf[rank]! /= total;
  const successorCumulative = new Float64Array(SUCCESSOR_PROBABILITIES.length);
  SUCCESSOR_PROBABILITIES.reduce((sum, p, i) => {
    successorCumulative[i] = sum + p;
    return sum + p;
  }, 0);
  const topics = Array.from({ length: classes }, () => createTopic(vocabularySize, zipf, random));

  const slots = SUCCESSOR_PROBABILITIES.length;
  const unigram = (topic: Topic) => topic.tokenByRank[searchCumulative(zipf, random.uniform())]!;
  const generated = sequenceLength + (task === 'next-token' ? 1 : 0);
  const sequence = new Int32Array(generated);
  const inputs = new Int32Array(sequences * sequenceLength);
  const targets = new Int32Array(task === 'next-token' ? sequences * sequenceLength : sequences);
  for (let s = 0; s < sequences; s++) {
    const topicId = random.integer(classes);
    const topic = topics[topicId]!;
    sequence[0] = unigram(topic);
    for (let t = 1; t < generated; t++) {
      const u = random.uniform();
      const slot =
        u < successorCumulative[slots - 1]! ? searchCumulative(successorCumulative, u) : -1;
      sequence[t] = slot < 0 ? unigram(topic) : topic.successors[sequence[t - 1]! * slots + slot]!;
    }
    inputs.set(sequence.subarray(0, sequenceLength), s * sequenceLength);
    if (task === 'next-token') targets.set(sequence.subarray(1), s * sequenceLength);
    else targets[s] = topicId;
  }

  return {
    name: 'tokens',
    size: sequences,
    inputShape: [sequenceLength],
    inputDtype: 'int32',
    inputs,
    targets,
    target:
      task === 'next-token' ? { kind: 'next-token', vocabularySize } : { kind: 'classes', classes },
  };
}
