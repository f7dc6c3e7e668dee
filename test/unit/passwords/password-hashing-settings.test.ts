import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_PASSWORD_HASHING,
  validatePasswordHashingSettings,
} from '../../../src/auth/passwords/password-hashing-settings.js';

describe('password hashing settings', () => {
  it('defaults to the OWASP 2023 argon2id minimum and a 1024-character cap', () => {
    assert.deepEqual(DEFAULT_PASSWORD_HASHING, {
      memoryCostKiB: 19_456,
      timeCost: 2,
      parallelism: 1,
      maxPasswordLength: 1024,
    });
    assert.ok(Object.isFrozen(DEFAULT_PASSWORD_HASHING));
    assert.deepEqual(validatePasswordHashingSettings(DEFAULT_PASSWORD_HASHING), []);
  });

  it('reports every problem at once, each naming its field', () => {
    const problems = validatePasswordHashingSettings({
      memoryCostKiB: 1.5,
      timeCost: 0,
      parallelism: 0,
      maxPasswordLength: -1,
    });
    assert.equal(problems.length, 4);
    for (const field of ['memoryCostKiB', 'timeCost', 'parallelism', 'maxPasswordLength']) {
      assert.ok(
        problems.some((p) => p.startsWith(field)),
        `no problem names ${field}: ${problems.join(' | ')}`,
      );
    }
  });

  it('refuses memory below 8 × parallelism (libargon2 minimum)', () => {
    const problems = validatePasswordHashingSettings({
      ...DEFAULT_PASSWORD_HASHING,
      parallelism: 4,
      memoryCostKiB: 31,
    });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^memoryCostKiB .*from 32/);
    assert.deepEqual(
      validatePasswordHashingSettings({ ...DEFAULT_PASSWORD_HASHING, parallelism: 4, memoryCostKiB: 32 }),
      [],
    );
  });

  it('refuses settings whose hashes Gatehouse would refuse to verify', () => {
    const gib = 1024 * 1024;
    assert.deepEqual(
      validatePasswordHashingSettings({ ...DEFAULT_PASSWORD_HASHING, memoryCostKiB: gib, timeCost: 4 }),
      [],
    );
    const tooMuchMemory = validatePasswordHashingSettings({
      ...DEFAULT_PASSWORD_HASHING,
      memoryCostKiB: gib + 1,
    });
    assert.equal(tooMuchMemory.length, 1);
    assert.match(tooMuchMemory[0]!, /^memoryCostKiB/);
    const tooMuchWork = validatePasswordHashingSettings({
      ...DEFAULT_PASSWORD_HASHING,
      memoryCostKiB: gib,
      timeCost: 5,
    });
    assert.equal(tooMuchWork.length, 1);
    assert.match(tooMuchWork[0]!, /timeCost × memoryCostKiB/);
    const tooManyLanes = validatePasswordHashingSettings({
      ...DEFAULT_PASSWORD_HASHING,
      parallelism: 65,
      memoryCostKiB: 65 * 8,
    });
    assert.equal(tooManyLanes.length, 1);
    assert.match(tooManyLanes[0]!, /^parallelism/);
  });

  it('refuses values that are not numbers', () => {
    const problems = validatePasswordHashingSettings({
      ...DEFAULT_PASSWORD_HASHING,
      timeCost: '2' as unknown as number,
    });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^timeCost/);
  });
});
