import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { describe, it } from 'node:test';
import { decodePeer } from '../../../src/http/request-context.js';

const bytes = (...values: number[]): ArrayBuffer => Uint8Array.from(values).buffer;

describe('peer address text', () => {
  it('formats IPv4, as uWS gives it in 4 bytes or IPv4-mapped in 16', () => {
    assert.equal(decodePeer(bytes(127, 0, 0, 1)), '127.0.0.1');
    assert.equal(decodePeer(bytes(10, 20, 30, 40)), '10.20.30.40');
    assert.equal(decodePeer(bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 1, 2)), '192.168.1.2');
    // The memo answers the same text the second time and keeps addresses apart.
    assert.equal(decodePeer(bytes(127, 0, 0, 1)), '127.0.0.1');
    assert.equal(decodePeer(bytes(127, 0, 0, 2)), '127.0.0.2');
  });

  it('formats IPv6 in RFC 5952 form', () => {
    assert.equal(decodePeer(bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)), '::1');
    assert.equal(
      decodePeer(bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)),
      '2001:db8::1',
    );
    assert.equal(
      decodePeer(bytes(0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1)),
      '2001:db8:1:0:1::1',
    );
    for (let i = 0; i < 50; i++) {
      const random = Array.from({ length: 16 }, () =>
        Math.random() < 0.4 ? 0 : Math.floor(Math.random() * 256),
      );
      assert.equal(isIP(decodePeer(bytes(...random))) !== 0, true, random.join(','));
    }
  });

  it('gives nothing for an address of another length', () => {
    assert.equal(decodePeer(bytes(1, 2, 3)), '');
  });
});
