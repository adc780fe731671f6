// The command template: argv split like a shell without one, macros expanded per word, shell
// mode quoting every value, and the out-of-memory messages recognised.

import { describe, expect, it } from 'vitest';
import {
  expandArgv,
  expandShellLine,
  type MacroValues,
  splitCommandLine,
  templateMacros,
} from '../../../src/engines/command/command-template.js';
import {
  OUT_OF_MEMORY_MESSAGES,
  outOfMemoryEvidence,
} from '../../../src/engines/command/out-of-memory-messages.js';

const values: MacroValues = {
  batch: 64,
  steps: 3,
  micro_batch: 16,
  accumulation: 4,
  seed: 1,
  lr: 0.001,
  eval_every: 10,
  plan: '/tmp/plan.jsonl',
  telemetry: "/tmp/it's here/t.jsonl",
};

describe('command template', () => {
  it('splits words honouring quotes and escapes', () => {
    expect(splitCommandLine(`python  train.py --name 'a b' --x "c \\"d\\"" e\\ f ''`)).toEqual([
      'python',
      'train.py',
      '--name',
      'a b',
      '--x',
      'c "d"',
      'e f',
      '',
    ]);
    expect(() => splitCommandLine('python "train.py')).toThrow(/unterminated " quote/);
  });

  it('expands macros inside words without splitting their values', () => {
    const argv = splitCommandLine('train --bs={batch} --steps {steps} --log {telemetry}');
    expect(templateMacros(argv)).toEqual(new Set(['batch', 'steps', 'telemetry']));
    expect(expandArgv(argv, values)).toEqual([
      'train',
      '--bs=64',
      '--steps',
      '3',
      '--log',
      "/tmp/it's here/t.jsonl",
    ]);
  });

  it('expands {lr} and {eval_every}', () => {
    const argv = splitCommandLine('train --lr {lr} --eval-every {eval_every} --seed {seed}');
    expect(templateMacros(argv)).toEqual(new Set(['lr', 'eval_every', 'seed']));
    expect(expandArgv(argv, values)).toEqual([
      'train',
      '--lr',
      '0.001',
      '--eval-every',
      '10',
      '--seed',
      '1',
    ]);
    expect(() => templateMacros(['--x', '{learning_rate}'])).toThrow(
      /unknown macro \{learning_rate\}.*\{lr\}, \{eval_every\}/,
    );
  });

  it('quotes values for a shell', () => {
    expect(expandShellLine('train {batch} > {telemetry}', values)).toBe(
      `train 64 > '/tmp/it'\\''s here/t.jsonl'`,
    );
  });
});

describe('out-of-memory messages', () => {
  it.each(OUT_OF_MEMORY_MESSAGES)('recognises $source: $text', ({ text, source }) => {
    const evidence = outOfMemoryEvidence({
      exitCode: 1,
      signal: null,
      outputLines: ['loading', `RuntimeError: ${text} (details)`, 'exiting'],
    });
    expect(evidence).toMatch(new RegExp(`^${source.replace(/[+/]/g, '\\$&')} out of memory: `));
  });

  it('recognises a SIGKILL or exit 137, and nothing in an ordinary crash', () => {
    expect(outOfMemoryEvidence({ exitCode: null, signal: 'SIGKILL', outputLines: [] })).toMatch(
      /SIGKILL/,
    );
    expect(outOfMemoryEvidence({ exitCode: 137, signal: null, outputLines: [] })).toMatch(
      /SIGKILL/,
    );
    expect(
      outOfMemoryEvidence({ exitCode: 1, signal: null, outputLines: ['ValueError: bad shape'] }),
    ).toBeUndefined();
  });
});
