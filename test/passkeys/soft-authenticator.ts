/**
 * A software WebAuthn authenticator for the tests without a browser: an ES256 key pair
 * per credential, `none` attestation, and assertions whose every part (origin, RP ID,
 * challenge, counter, flags, user handle) a test can set — to make the wrong ones.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string): Buffer => createHash('sha256').update(b).digest();

const FLAG = { up: 0x01, uv: 0x04, be: 0x08, bs: 0x10, at: 0x40 };

export interface Overrides {
  origin?: string;
  rpId?: string;
  challenge?: string;
  type?: string;
  counter?: number;
  userVerified?: boolean;
  userHandle?: string | null;
}

export class SoftCredential {
  readonly id = randomBytes(16);
  private readonly privateKey: KeyObject;
  private readonly cose: Uint8Array;
  counter = 0;
  constructor(readonly origin: string, readonly rpId: string, readonly backedUp = true) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]);
    this.cose = isoCBOR.encode(cose);
  }

  get credentialId(): string {
    return b64u(this.id);
  }

  private clientData(type: string, challenge: string, o: Overrides): string {
    return b64u(Buffer.from(JSON.stringify({ type: o.type ?? type, challenge: o.challenge ?? challenge, origin: o.origin ?? this.origin, crossOrigin: false })));
  }

  private authData(o: Overrides, attested: boolean): Buffer {
    const flags = FLAG.up | (o.userVerified === false ? 0 : FLAG.uv) | (this.backedUp ? FLAG.be | FLAG.bs : 0) | (attested ? FLAG.at : 0);
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(o.counter ?? this.counter);
    const parts = [sha256(o.rpId ?? this.rpId), Buffer.from([flags]), counter];
    if (attested) {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(this.id.length);
      parts.push(Buffer.alloc(16), len, this.id, Buffer.from(this.cose));
    }
    return Buffer.concat(parts);
  }

  /** A `navigator.credentials.create` result for `options` (creation options JSON). */
  register(options: { challenge: string }, o: Overrides = {}): Record<string, unknown> {
    const authData = this.authData(o, true);
    const attestationObject = isoCBOR.encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', new Uint8Array(authData)]]) as never);
    return this.credential({ clientDataJSON: this.clientData('webauthn.create', options.challenge, o), attestationObject: b64u(attestationObject), transports: ['internal'] });
  }

  /** A `navigator.credentials.get` result for `options`; the counter moves by one unless `o.counter` says otherwise. */
  assert(options: { challenge: string }, userHandle: string | null, o: Overrides = {}): Record<string, unknown> {
    if (o.counter === undefined) this.counter++;
    const authData = this.authData(o, false);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, o);
    const signature = sign('sha256', Buffer.concat([authData, sha256(Buffer.from(clientDataJSON, 'base64url'))]), this.privateKey);
    const handle = o.userHandle === undefined ? userHandle : o.userHandle;
    return this.credential({ clientDataJSON, authenticatorData: b64u(authData), signature: b64u(signature), ...(handle === null ? {} : { userHandle: handle }) });
  }

  /** `PublicKeyCredential.toJSON()` of this credential with `response`. */
  private credential(response: Record<string, unknown>): Record<string, unknown> {
    const id = this.credentialId;
    return { id, rawId: id, type: 'public-key', clientExtensionResults: {}, response };
  }
}
