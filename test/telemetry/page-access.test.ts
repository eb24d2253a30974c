import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pageAccess, pageCredential } from '../../src/telemetry/page-access.js';

const basic = (text: string): string => `Basic ${Buffer.from(text).toString('base64')}`;

describe('pageAccess: basic authentication for / and /status.json', () => {
  test('without a credential configured every request passes, as before the setting existed', () => {
    const allowed = pageAccess(undefined);
    assert.equal(allowed(undefined), true);
    assert.equal(allowed('Basic Zm9vOmJhcg=='), true);
  });

  test('with one, only its user name and password pass; the scheme is case-insensitive', () => {
    const allowed = pageAccess({ username: 'admin', password: 'pa:ss wörd-92' });
    assert.equal(allowed(basic('admin:pa:ss wörd-92')), true);
    assert.equal(allowed(basic('admin:pa:ss wörd-92').replace('Basic', 'basic')), true);
    for (const refused of [
      undefined,
      '',
      'Basic',
      'Basic !!!',
      basic('admin:pa:ss wörd-9'),
      basic('admin:pa:ss wörd-922'),
      basic('Admin:pa:ss wörd-92'),
      basic(':pa:ss wörd-92'),
      basic('admin'),
      `Bearer pa:ss wörd-92`,
      `Bearer ${Buffer.from('admin:pa:ss wörd-92').toString('base64')}`,
    ])
      assert.equal(allowed(refused), false, String(refused));
  });

  test('pageCredential: none while STATUS_PASSWORD is empty, whatever STATUS_USERNAME says', () => {
    assert.equal(pageCredential({ statusUsername: 'admin', statusPassword: '' }), undefined);
    assert.deepEqual(pageCredential({ statusUsername: 'ops', statusPassword: 'x' }), {
      username: 'ops',
      password: 'x',
    });
  });
});
