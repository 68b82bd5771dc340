import { errorClassProblems } from '@superscalar/core/test';
import { expect, test } from 'vitest';
import * as mod from '../src/index.js';

test('every error class is tagged, coded and exported', () => {
  expect(errorClassProblems(mod, 'client')).toEqual([]);
});
