/**
 * Passkeys: registration (options, then the browser's result), the user's list, rename and
 * removal, the passwordless login's two steps, and the second factor's two steps. Every
 * assertion is judged by `judgeAssertion` (src/passkeys/assertion.ts); every challenge
 * is random, stored, single use and expires after `passkeys.challengeLifetime`.
 */
import { randomBytes } from 'node:crypto';
import { generateAuthenticationOptions, generateRegistrationOptions, verifyRegistrationResponse } from '@simplewebauthn/server';
import type { Clock } from '../core/clock.js';
import { NotFound, ValidationError, type JsonObject } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { User } from '../core/user.js';
import { PasskeyExists, PasskeyLimitReached, type PasskeyRecord, type PasskeyStore, type UserStore, type WebAuthnCeremony } from '../stores/types.js';
import { judgeAssertion, type AcceptedAssertion } from './assertion.js';
import type { PasskeyConfig } from './config.js';
import { challengeOf, readAssertion, readName, readRegistration } from './input.js';
import { userHandle } from './user-handle.js';

export type { PasskeyConfig } from './config.js';

/**
 * Told after a passkey was stored or removed: the second factors' `enrolled` (sessions
 * revoked when it is the user's first factor) and `removed` (recovery codes forgotten
 * with the last factor).
 */
export interface FactorHooks {
  enrolled(user: User): Promise<void>;
  removed(user: User): Promise<void>;
}

const CHALLENGE_USED = 'The challenge is unknown, expired or already used: ask for new options.';

const asJson = (options: object): JsonObject => JSON.parse(JSON.stringify(options)) as JsonObject;

export class PasskeyService {
  private hooks: FactorHooks | null = null;

  constructor(
    private readonly store: PasskeyStore,
    private readonly users: UserStore,
    readonly config: PasskeyConfig,
    private readonly clock: Clock,
    private readonly events: EventSink,
  ) {}

  /** Tell `hooks` of every registration and removal (one set: the second factors'). */
  useFactorHooks(hooks: FactorHooks): void {
    this.hooks = hooks;
  }

  /** A fresh challenge of `ceremony`, stored. */
  private async challenge(ceremony: WebAuthnCeremony, userId: number | null): Promise<Uint8Array<ArrayBuffer>> {
    const bytes = new Uint8Array(new ArrayBuffer(32));
    bytes.set(randomBytes(32));
    // The options carry it base64url-encoded; that text is what the browser signs over and sends back.
    const challenge = Buffer.from(bytes).toString('base64url');
    const now = this.clock.now();
    await this.store.saveChallenge({ challenge, ceremony, userId, expiresAt: now + this.config.challengeLifetime }, now);
    return bytes;
  }

  private get timeout(): number {
    return this.config.challengeLifetime;
  }

  /** `PublicKeyCredentialCreationOptionsJSON` for `user`, excluding the passkeys it has. */
  async registrationOptions(user: User): Promise<JsonObject> {
    const mine = await this.store.listForUser(user.id);
    const options = await generateRegistrationOptions({
      rpName: this.config.rpName,
      rpID: this.config.rpId,
      userName: user.username,
      userID: userHandle(this.config.userHandleKey, user.id),
      challenge: await this.challenge('registration', user.id),
      timeout: this.timeout,
      attestationType: 'none',
      excludeCredentials: mine.map((p) => ({ id: p.credentialId, transports: p.transports })),
      authenticatorSelection: { residentKey: 'required', userVerification: this.config.userVerification },
    });
    return asJson(options);
  }

  /** Verify a registration result against the user's stored challenge and store it as `name`. 400 for anything wrong. */
  async register(user: User, credential: unknown, name: unknown): Promise<PasskeyRecord> {
    const label = readName(name);
    const { json, transports } = readRegistration(credential);
    const challenge = await this.store.consumeChallenge(challengeOf(json.response.clientDataJSON), 'registration', this.clock.now());
    if (!challenge || challenge.userId !== user.id) throw new ValidationError({ credential: [CHALLENGE_USED] });
    const info = await this.verifiedRegistration(json, challenge.challenge);
    const record = await this.store
      .create(
        {
          credentialId: info.credential.id,
          userId: user.id,
          publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
          counter: info.credential.counter,
          transports,
          deviceType: info.credentialDeviceType,
          backedUp: info.credentialBackedUp,
          name: label,
          createdAt: this.clock.now(),
        },
        this.config.maxPerUser,
      )
      .catch((e: unknown) => {
        if (e instanceof PasskeyExists) throw new ValidationError({ credential: ['This passkey is registered already.'] });
        if (e instanceof PasskeyLimitReached) throw ValidationError.nonField(`At most ${this.config.maxPerUser} passkeys per user.`);
        throw e;
      });
    this.events({ event: 'passkey_registered', userId: user.id, passkeyId: record.id });
    await this.hooks?.enrolled(user);
    return record;
  }

  private async verifiedRegistration(json: ReturnType<typeof readRegistration>['json'], challenge: string) {
    try {
      const result = await verifyRegistrationResponse({
        response: json,
        expectedChallenge: challenge,
        expectedOrigin: [...this.config.origins],
        expectedRPID: this.config.rpId,
        requireUserVerification: this.config.userVerification === 'required',
      });
      if (result.verified) return result.registrationInfo;
    } catch {
      // every failure of the library is the same refusal below
    }
    throw new ValidationError({ credential: ['The passkey could not be verified (origin, RP ID, challenge or attestation).'] });
  }

  list(user: User): Promise<PasskeyRecord[]> {
    return this.store.listForUser(user.id);
  }

  /** How many passkeys the user has. */
  async count(user: User): Promise<number> {
    return (await this.store.listForUser(user.id)).length;
  }

  /** Rename one of the user's passkeys; 404 when it is not theirs. */
  async rename(user: User, id: number, name: unknown): Promise<PasskeyRecord> {
    const renamed = await this.store.rename(user.id, id, readName(name));
    if (!renamed) throw new NotFound();
    return renamed;
  }

  /** Remove one of the user's passkeys; 404 when it is not theirs. */
  async remove(user: User, id: number): Promise<void> {
    if (!(await this.store.delete(user.id, id))) throw new NotFound();
    this.events({ event: 'passkey_removed', userId: user.id, passkeyId: id });
    await this.hooks?.removed(user);
  }

  /** Remove every passkey of the user (an administrator's reset of the second factors); how many. */
  async removeAll(user: User): Promise<number> {
    let n = 0;
    for (const p of await this.store.listForUser(user.id)) if (await this.store.delete(user.id, p.id)) n++;
    return n;
  }

  /** Options for a passwordless login: discoverable credentials (no list), user verification required. */
  async loginOptions(): Promise<JsonObject> {
    const options = await generateAuthenticationOptions({
      rpID: this.config.rpId,
      challenge: await this.challenge('login', null),
      timeout: this.timeout,
      userVerification: 'required',
    });
    return asJson(options);
  }

  /** The user a login assertion proves; 400 when malformed, 401 (`PasskeyRefused`) when it proves nothing. */
  login(credential: unknown): Promise<AcceptedAssertion> {
    return judgeAssertion(this.judgeDeps(), readAssertion(credential), 'login', null);
  }

  /** Options for the second factor: the user's passkeys; null when the user has none. */
  async secondFactorOptions(user: User): Promise<JsonObject | null> {
    const mine = await this.store.listForUser(user.id);
    if (mine.length === 0) return null;
    const options = await generateAuthenticationOptions({
      rpID: this.config.rpId,
      challenge: await this.challenge('second_factor', user.id),
      timeout: this.timeout,
      userVerification: this.config.userVerification,
      allowCredentials: mine.map((p) => ({ id: p.credentialId, transports: p.transports })),
    });
    return asJson(options);
  }

  /** Judge a second-factor assertion of `user`; throws as `login` does. */
  secondFactor(user: User, credential: unknown): Promise<AcceptedAssertion> {
    return judgeAssertion(this.judgeDeps(), readAssertion(credential), 'second_factor', user);
  }

  private judgeDeps() {
    return { store: this.store, users: this.users, config: this.config, clock: this.clock, events: this.events };
  }
}
