// What each PostgreSQL version gives the source (src/server-features.ts), and the refusals, with their exact texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pgFeatures, unsupportedFeature, versionText } from '../../src/server-features.ts';

test('features per version: 13, 14, 16, 17, and a standby', () => {
  const pick = (f: ReturnType<typeof pgFeatures>) => [f.protoVersion, f.streaming, f.messages, f.keepalivePositions, f.heartbeatMessages, f.standbyDecoding, f.failoverSlots];
  assert.deepEqual(pick(pgFeatures(120022)), [1, false, false, true, true, false, false]);
  assert.deepEqual(pick(pgFeatures(130023)), [1, false, false, true, true, false, false]);
  assert.deepEqual(pick(pgFeatures(140000)), [2, true, true, false, true, false, false]);
  assert.deepEqual(pick(pgFeatures(150018)), [2, true, true, false, true, false, false]);
  assert.deepEqual(pick(pgFeatures(160000)), [2, true, true, false, true, true, false]);
  assert.deepEqual(pick(pgFeatures(170012)), [2, true, true, false, true, true, true]);
  // on a standby nothing can be written: no heartbeat message, idle checkpoints from keepalives
  assert.deepEqual(pick(pgFeatures(170012, { standby: true })), [2, true, true, true, false, true, true]);
  assert.equal(versionText(130023), '13.23');
  assert.equal(versionText(170000), '17.0');
});

test('refusals: outbox messages on 13, failover slots before 17, a standby before 16 or without a publication', () => {
  const none = { messagePrefixes: [], failoverSlot: false, managedPublication: true };
  assert.equal(unsupportedFeature(pgFeatures(130023), none), null);
  assert.equal(unsupportedFeature(pgFeatures(140000), { ...none, messagePrefixes: ['ob'] }), null);
  assert.equal(unsupportedFeature(pgFeatures(170012), { ...none, failoverSlot: true }), null);
  const msg = unsupportedFeature(pgFeatures(130023), { ...none, messagePrefixes: ['ob', 'x'] })!;
  assert.equal(msg.code, 'FERRY_UNSUPPORTED');
  assert.equal(msg.disposition, 'fatal');
  assert.equal(msg.message, 'settings.outbox messagePrefix ("ob", "x") needs PostgreSQL 14 or later: PostgreSQL 13.23\'s pgoutput does not send logical decoding messages (pg_logical_emit_message). Use an outbox table instead (settings.outbox table: insert the outbox rows into a captured table), or upgrade the server');
  const fo = unsupportedFeature(pgFeatures(160004), { ...none, failoverSlot: true })!;
  assert.equal(fo.code, 'FERRY_UNSUPPORTED');
  assert.match(fo.message, /^source\.failoverSlot needs PostgreSQL 17 or later .*this server is PostgreSQL 16\.4\. Remove source\.failoverSlot/);
  assert.match(unsupportedFeature(pgFeatures(150018, { standby: true }), { ...none, managedPublication: false })!.message, /standby .* PostgreSQL 15\.18: logical decoding on a standby needs PostgreSQL 16 or later/);
  const pub = unsupportedFeature(pgFeatures(170012, { standby: true }), none)!;
  assert.equal(pub.code, 'FERRY_CONFIG_INVALID');
  assert.match(pub.message, /create it on the primary .* source\.publicationName$/);
  assert.match(unsupportedFeature(pgFeatures(170012, { standby: true }), { ...none, managedPublication: false, failoverSlot: true })!.message, /^source\.failoverSlot is for a slot on the primary/);
  assert.equal(unsupportedFeature(pgFeatures(170012, { standby: true }), { ...none, managedPublication: false }), null);
});
