/** The local CA: created once in the state directory, reused, renewed, loopback-only. */
import 'reflect-metadata';
import { X509Certificate, createPrivateKey, webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureLocalCertificates, type LocalCertificates } from '../src/tls.js';

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'bedrock-stream-tls-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** GETs `https://<host>:<port>/` trusting `ca` (or the default store); the answer or the TLS error. */
function get(port: number, host: string, ca?: string, servername?: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', ca, servername, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(`ok ${res.statusCode}`));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

async function serve(certs: Pick<LocalCertificates, 'cert' | 'key'>) {
  const server = createServer({ cert: certs.cert, key: certs.key }, (_req, res) => res.end('hi'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

describe('ensureLocalCertificates', () => {
  it('creates a CA and a server certificate for localhost, 127.0.0.1 and ::1', async () => {
    const dir = freshDir();
    const certs = await ensureLocalCertificates(dir);
    expect(certs.caFile).toBe(join(dir, 'ca.pem'));
    expect(readFileSync(certs.caFile, 'utf8')).toBe(certs.caCert);
    const ca = new X509Certificate(certs.caCert);
    const server = new X509Certificate(certs.cert);
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca) && server.verify(ca.publicKey)).toBe(true);
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkIP('::1')).toBe('::1');
    expect(server.checkHost('example.com')).toBeUndefined();
    // Private keys are the owner's only.
    expect(statSync(join(dir, 'ca-key.pem')).mode & 0o077).toBe(0);
    expect(statSync(join(dir, 'localhost-key.pem')).mode & 0o077).toBe(0);
  });

  it('reuses what it made on later starts', async () => {
    const dir = freshDir();
    const first = await ensureLocalCertificates(dir);
    const second = await ensureLocalCertificates(dir);
    expect(second).toEqual(first);
  });

  it('replaces an expired CA, and the server certificate with it', async () => {
    const dir = freshDir();
    const old = await ensureLocalCertificates(dir, { now: new Date(Date.now() - 11 * YEAR_MS) });
    const renewed = await ensureLocalCertificates(dir);
    expect(renewed.caCert).not.toBe(old.caCert);
    expect(renewed.cert).not.toBe(old.cert);
    const ca = new X509Certificate(renewed.caCert);
    expect(new X509Certificate(renewed.cert).verify(ca.publicKey)).toBe(true);
    expect(new Date(ca.validTo).getTime()).toBeGreaterThan(Date.now() + 9 * YEAR_MS);
  });

  it('reissues the server certificate alone when it expired or is not the CA’s', async () => {
    const dir = freshDir();
    const first = await ensureLocalCertificates(dir, { now: new Date(Date.now() - 2 * YEAR_MS) });
    // The CA (10 years) is still good two years on; the server certificate (397 days) is not.
    const second = await ensureLocalCertificates(dir);
    expect(second.caCert).toBe(first.caCert);
    expect(second.cert).not.toBe(first.cert);
    unlinkSync(join(dir, 'ca.pem'));
    const third = await ensureLocalCertificates(dir);
    expect(third.caCert).not.toBe(second.caCert);
    expect(
      new X509Certificate(third.cert).verify(new X509Certificate(third.caCert).publicKey),
    ).toBe(true);
  });

  it('serves TLS that a client verifies with the CA alone, under both names', async () => {
    const certs = await ensureLocalCertificates(freshDir());
    const server = await serve(certs);
    try {
      expect(await get(server.port, '127.0.0.1', certs.caCert)).toBe('ok 200');
      expect(await get(server.port, '127.0.0.1', certs.caCert, 'localhost')).toBe('ok 200');
      // Nothing else trusts it: verification stays on.
      expect(await get(server.port, '127.0.0.1')).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    } finally {
      server.close();
    }
  });

  it('makes a CA that cannot vouch for names other than loopback', async () => {
    const dir = freshDir();
    const certs = await ensureLocalCertificates(dir);
    // Someone holding the CA key issues certificates: for another site, and for localhost.
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const caKey = await webcrypto.subtle.importKey(
      'pkcs8',
      createPrivateKey(readFileSync(join(dir, 'ca-key.pem'), 'utf8')).export({
        format: 'der',
        type: 'pkcs8',
      }),
      alg,
      false,
      ['sign'],
    );
    const issue = async (dns: string) => {
      const keys = (await webcrypto.subtle.generateKey(alg, true, [
        'sign',
        'verify',
      ])) as webcrypto.CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.create({
        subject: `CN=${dns}`,
        issuer: new x509.X509Certificate(certs.caCert).subject,
        publicKey: keys.publicKey,
        signingKey: caKey,
        signingAlgorithm: alg,
        extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: dns }])],
      });
      const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
      return serve({
        cert: cert.toString('pem'),
        key: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
          .export({ format: 'pem', type: 'pkcs8' })
          .toString(),
      });
    };
    const other = await issue('example.com');
    const loopback = await issue('localhost');
    try {
      // Refused by chain verification (a permitted-subtree violation), not by the name check.
      expect(await get(other.port, '127.0.0.1', certs.caCert, 'example.com')).not.toMatch(/^ok/);
      expect(await get(loopback.port, '127.0.0.1', certs.caCert, 'localhost')).toBe('ok 200');
    } finally {
      other.close();
      loopback.close();
    }
  });
});
