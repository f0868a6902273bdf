// @peculiar/x509 resolves its ASN.1 serializers through tsyringe, which needs the Reflect
// metadata API. This module is only loaded when the stack serves TLS.
import 'reflect-metadata';
import { X509Certificate, createHash, createPrivateKey, webcrypto } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  GeneralName,
  GeneralSubtree,
  GeneralSubtrees,
  NameConstraints,
  id_ce_nameConstraints,
} from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';

/** A local CA and a server certificate it issued, as PEM. */
export interface LocalCertificates {
  /** The CA certificate file: what clients trust (`NODE_EXTRA_CA_CERTS`, a browser). */
  caFile: string;
  caCert: string;
  /** The server certificate (localhost, 127.0.0.1, ::1) and its private key. */
  cert: string;
  key: string;
  /**
   * Base64 SHA-256 of the server key's SubjectPublicKeyInfo: what Chromium's
   * `--ignore-certificate-errors-spki-list` takes (headless tests).
   */
  spkiSha256: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
const CA_DAYS = 10 * 365;
// Under the 398-day ceiling browsers put on server certificates.
const SERVER_DAYS = 397;
// Renew what expires within this margin rather than let a running stack outlive it.
const RENEW_MARGIN_MS = 7 * DAY_MS;
const CA_NAME = 'CN=bedrock-stream local development CA, O=bedrock-stream';
/** The names every server certificate covers; the CA may issue for no others. */
const LOOPBACK = { dns: ['localhost'], ip: ['127.0.0.1', '::1'] };

const FILES = {
  caCert: 'ca.pem',
  caKey: 'ca-key.pem',
  cert: 'localhost.pem',
  key: 'localhost-key.pem',
} as const;

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Writes via a rename, so a concurrent reader never sees half a file; keys owner-only. */
function writeAtomic(path: string, text: string, secret: boolean): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: secret ? 0o600 : 0o644 });
  if (secret) chmodSync(temp, 0o600);
  renameSync(temp, path);
}

function usable(cert: X509Certificate, now: Date): boolean {
  return (
    new Date(cert.validFrom).getTime() <= now.getTime() &&
    new Date(cert.validTo).getTime() - RENEW_MARGIN_MS > now.getTime()
  );
}

function parse(pem: string | null): X509Certificate | null {
  if (pem === null) return null;
  try {
    return new X509Certificate(pem);
  } catch {
    return null;
  }
}

async function toPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
}

async function signingKey(pem: string): Promise<webcrypto.CryptoKey> {
  const der = createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
}

const generateKeys = () =>
  webcrypto.subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ]) as Promise<webcrypto.CryptoKeyPair>;

/**
 * The CA may only vouch for loopback names (RFC 5280 name constraints), so trusting it
 * cannot expose any other site even if its key, kept in the state directory, leaks.
 */
function loopbackOnly(): x509.Extension {
  const subtree = (name: ConstructorParameters<typeof GeneralName>[0]) =>
    new GeneralSubtree({ base: new GeneralName(name) });
  const constraints = new NameConstraints({
    permittedSubtrees: new GeneralSubtrees([
      subtree({ dNSName: 'localhost' }),
      subtree({ iPAddress: '127.0.0.0/8' }),
      subtree({ iPAddress: '::1/128' }),
    ]),
  });
  return new x509.Extension(id_ce_nameConstraints, true, AsnConvert.serialize(constraints));
}

async function createCa(now: Date): Promise<{ cert: string; key: string }> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: CA_NAME,
    keys,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + CA_DAYS * DAY_MS),
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      loopbackOnly(),
    ],
  });
  return { cert: cert.toString('pem'), key: await toPem(keys.privateKey) };
}

async function issueServerCert(
  ca: { cert: string; key: string },
  names: { dns: string[]; ip: string[] },
  now: Date,
): Promise<{ cert: string; key: string }> {
  const keys = await generateKeys();
  const caCert = new x509.X509Certificate(ca.cert);
  const cert = await x509.X509CertificateGenerator.create({
    subject: 'CN=localhost, O=bedrock-stream local stack',
    issuer: caCert.subject,
    publicKey: keys.publicKey,
    signingKey: await signingKey(ca.key),
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + SERVER_DAYS * DAY_MS),
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dns.map((value) => ({ type: 'dns' as const, value })),
        ...names.ip.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: cert.toString('pem'), key: await toPem(keys.privateKey) };
}

/** Loopback names plus `host` when it is another loopback address. */
function namesFor(host: string | undefined): { dns: string[]; ip: string[] } {
  const ip = [...LOOPBACK.ip];
  if (host && isIP(host) === 4 && host.startsWith('127.') && !ip.includes(host)) ip.push(host);
  return { dns: [...LOOPBACK.dns], ip };
}

function covers(cert: X509Certificate, names: { dns: string[]; ip: string[] }): boolean {
  return (
    names.dns.every((name) => cert.checkHost(name) !== undefined) &&
    names.ip.every((ip) => cert.checkIP(ip) !== undefined)
  );
}

/**
 * The local CA and server certificate in `dir` (the stack's ignored state directory):
 * created on first use and reused after; the CA is replaced when it is missing, broken or
 * about to expire (then the server certificate too), the server certificate when it is
 * not the CA's, misses a name or is about to expire. ECDSA P-256 keys via WebCrypto.
 * @param options.host the address the stack listens on, when it is another loopback one.
 */
export async function ensureLocalCertificates(
  dir: string,
  options: { host?: string; now?: Date } = {},
): Promise<LocalCertificates> {
  const now = options.now ?? new Date();
  const path = (name: keyof typeof FILES) => join(dir, FILES[name]);
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  let ca = { cert: readOptional(path('caCert')), key: readOptional(path('caKey')) };
  const caX509 = parse(ca.cert);
  const caValid =
    caX509 !== null &&
    ca.key !== null &&
    usable(caX509, now) &&
    (() => {
      try {
        return caX509.ca && caX509.checkPrivateKey(createPrivateKey(ca.key!));
      } catch {
        return false;
      }
    })();
  if (!caValid) {
    const created = await createCa(now);
    writeAtomic(path('caKey'), created.key, true);
    writeAtomic(path('caCert'), created.cert, false);
    ca = created;
  }
  const caCert = new X509Certificate(ca.cert!);
  const names = namesFor(options.host);

  let server = { cert: readOptional(path('cert')), key: readOptional(path('key')) };
  const serverX509 = parse(server.cert);
  const serverValid =
    serverX509 !== null &&
    server.key !== null &&
    usable(serverX509, now) &&
    serverX509.checkIssued(caCert) &&
    serverX509.verify(caCert.publicKey) &&
    covers(serverX509, names) &&
    (() => {
      try {
        return serverX509.checkPrivateKey(createPrivateKey(server.key!));
      } catch {
        return false;
      }
    })();
  if (!serverValid) {
    const issued = await issueServerCert({ cert: ca.cert!, key: ca.key! }, names, now);
    writeAtomic(path('key'), issued.key, true);
    writeAtomic(path('cert'), issued.cert, false);
    server = issued;
  }
  const spki = new X509Certificate(server.cert!).publicKey.export({ type: 'spki', format: 'der' });
  return {
    caFile: path('caCert'),
    caCert: ca.cert!,
    cert: server.cert!,
    key: server.key!,
    spkiSha256: createHash('sha256').update(spki).digest('base64'),
  };
}
