// Every command's --help through the real binary: options under headings, defaults as a user types
// them, no test-only engine, short flags that work, examples that are valid commands, and the
// `wrote FILE` line of each output.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { batchwise, batchwiseIn } from '../support/run-cli.js';

const COMMANDS = ['find', 'sweep', 'plan', 'analyze', 'serve', 'report', 'runs', 'show'] as const;
const FAST_FIND = ['--engine', 'fake', '--noise-measurements', '6', '--noise-every', '2'];

const helpOf = async (command: string) => {
  const r = await batchwise(command, '--help');
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};

/** Words of a shell line: quotes group, an unquoted # starts a comment. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const char of line) {
    if (quote) {
      if (char === quote) quote = undefined;
      else word = (word ?? '') + char;
    } else if (char === "'" || char === '"') {
      quote = char;
      word ??= '';
    } else if (char === '#' && word === undefined) {
      break;
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + char;
    }
  }
  expect(quote, `unclosed quote in ${line}`).toBeUndefined();
  if (word !== undefined) words.push(word);
  return words;
}

/** The problems commander would find in `words` for `command`: unknown options, stray arguments. */
function problemsOf(command: Command, words: readonly string[]): string[] {
  const problems: string[] = [];
  let positional = 0;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (!word.startsWith('-')) {
      positional++;
      continue;
    }
    const name = word.split('=')[0] ?? word;
    if (name === '-h' || name === '--help') continue;
    const option = command.options.find((o) => o.long === name || o.short === name);
    if (!option) {
      problems.push(`unknown option ${name}`);
      continue;
    }
    if (word.includes('=')) continue;
    const next = words[i + 1];
    if (option.required) {
      if (next === undefined) problems.push(`${name} needs a value`);
      i++;
    } else if (option.optional && next !== undefined && !next.startsWith('-')) {
      i++;
    }
  }
  const args = command.registeredArguments;
  const variadic = args.some((a) => a.variadic);
  const needed = args.filter((a) => a.required).length;
  if (positional < needed) problems.push(`needs ${needed} argument(s), has ${positional}`);
  if (!variadic && positional > args.length)
    problems.push(`${positional - args.length} extra argument(s)`);
  return problems;
}

describe('batchwise COMMAND --help', () => {
  it('groups find and sweep options under headings', async () => {
    const find = await helpOf('find');
    const headings = (text: string) => text.split('\n').filter((l) => /^[A-Z][a-z]+:$/.test(l));
    expect(headings(find)).toEqual([
      'Workload:',
      'Engine:',
      'Probes:',
      'Output:',
      'Store:',
      'Options:',
      'Examples:',
    ]);
    expect(headings(await helpOf('sweep'))).toEqual([
      'Workload:',
      'Engine:',
      'Sweep:',
      'Output:',
      'Store:',
      'Options:',
      'Examples:',
    ]);
    // Each flag under its own group's heading.
    const under = (text: string, heading: string) =>
      text.slice(text.indexOf(`\n${heading}\n`)).split('\n\n')[0] ?? '';
    expect(under(find, 'Workload:')).toMatch(/-m, --model/);
    expect(under(find, 'Engine:')).toMatch(/--backend/);
    expect(under(find, 'Probes:')).toMatch(/--noise-measurements/);
    expect(under(find, 'Output:')).toMatch(/--html/);
    expect(under(find, 'Store:')).toMatch(/--resume/);
  });

  it('does not offer the test-only engine', async () => {
    for (const command of ['find', 'sweep']) {
      const help = await helpOf(command);
      expect(help).not.toMatch(/fake/i);
      expect(help).toMatch(/--engine <name> +training engine: tfjs, or command/);
    }
    const r = await batchwise('find', '--engine', 'nope', '--no-store');
    expect(r.stderr).toBe('batchwise: --engine must be tfjs or command, got "nope"\n');
  });

  it('shows defaults as they are typed, none for empty lists', async () => {
    for (const command of COMMANDS) {
      const help = await helpOf(command);
      expect(help, command).not.toMatch(/\(default:\s+["[{]/);
      expect(help, command).not.toMatch(/\(default: [^)]*\)\s*\(default:/);
    }
    expect(await helpOf('find')).toMatch(/\(default:\s+0\.05\)/);
    expect(await helpOf('plan')).toMatch(/\(default:\s+0\.05\)/);
    expect(await helpOf('analyze')).toMatch(/\(default:\s+stationary\)/);
  });

  it('has examples in every command, each a valid command line', async () => {
    const program = buildProgram();
    for (const command of COMMANDS) {
      const help = await helpOf(command);
      const examples = help
        .split('\n')
        .filter((line) => line.startsWith('  $ batchwise'))
        .map((line) => line.slice('  $ batchwise'.length));
      expect(examples.length, command).toBeGreaterThan(0);
      for (const example of examples) {
        const words = shellWords(example);
        const named = program.commands.find((c) => c.name() === words[0]);
        const target = named ?? program.commands.find((c) => c.name() === 'find');
        if (!target) throw new Error('no find command');
        expect(problemsOf(target, named ? words.slice(1) : words), example).toEqual([]);
      }
    }
  });

  it('runs the plan examples as written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchwise-help-'));
    const help = await helpOf('plan');
    const examples = help
      .split('\n')
      .filter((line) => line.startsWith('  $ batchwise'))
      .map((line) => shellWords(line.slice('  $ batchwise'.length)));
    for (const words of examples) {
      const r = await batchwiseIn(dir, {}, ...words);
      expect(r.code, `${words.join(' ')}: ${r.stderr}`).toBe(0);
    }
  });
});

describe('short flags', () => {
  it('-m, -d and -q are --model, --data and --quiet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchwise-short-'));
    const json = join(dir, 'r.json');
    const r = await batchwise(
      'find',
      '-m',
      'mlp',
      '-d',
      'synthetic',
      '-q',
      '--json',
      json,
      ...FAST_FIND,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^batch \d+, learning rate/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.workload).toMatchObject({ model: 'mlp', data: 'synthetic' });
  });

  it('-m is plan --model too', async () => {
    const r = await batchwise('plan', '-m', 'gpt2-small');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/gpt2/i);
  });
});

describe('wrote FILE', () => {
  it('find says where each output went, on standard error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchwise-wrote-'));
    const json = join(dir, 'r.json');
    const markdown = join(dir, 'r.md');
    const outputs = ['--json', json, '--markdown', markdown];
    const r = await batchwise('find', '--no-store', ...outputs, ...FAST_FIND);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`batchwise: wrote ${json}\n`);
    expect(r.stderr).toContain(`batchwise: wrote ${markdown}\n`);
    expect(r.stdout).not.toMatch(/wrote/);
  });

  it('not with --quiet, nor for --json -', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchwise-wrote-'));
    const quiet = await batchwise(
      'find',
      '-q',
      '--no-store',
      '--json',
      join(dir, 'q.json'),
      ...FAST_FIND,
    );
    expect(quiet.stderr).toBe('');
    const toStdout = await batchwise('find', '--no-store', '--json', '-', ...FAST_FIND);
    expect(toStdout.code, toStdout.stderr).toBe(0);
    expect(toStdout.stderr).not.toMatch(/wrote/);
    expect(JSON.parse(toStdout.stdout).schemaVersion).toBeDefined();
  });

  it('sweep says where each output went', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchwise-wrote-'));
    const json = join(dir, 's.json');
    const args = ['sweep', '--engine', 'fake', '--target-loss', '0.5', '--lr-rule', 'linear'];
    const r = await batchwise(...args, '--batches', '16,64', '--no-store', '--json', json);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`batchwise: wrote ${json}\n`);
    const quiet = await batchwise(
      ...args,
      '--batches',
      '16,64',
      '--no-store',
      '-q',
      '--json',
      json,
    );
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toMatch(/wrote/);
  });
});
