/**
 * Row ↔ object mapping of `gatehouse_passkey` and `gatehouse_webauthn_challenge`, shared
 * by the SQL stores (SQLite and PostgreSQL): transports are a JSON array in a TEXT column;
 * the backed-up flag is 0/1 in SQLite and a BOOLEAN in PostgreSQL.
 */
import type { PasskeyRecord, WebAuthnCeremony, WebAuthnChallenge } from './types.js';

export interface PasskeyRow {
  id: number;
  credential_id: string;
  user_id: number;
  public_key: string;
  counter: number;
  transports: string;
  device_type: string;
  backed_up: number | boolean;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

export interface ChallengeRow {
  challenge: string;
  ceremony: string;
  user_id: number | null;
  expires_at: number;
}

export const PASSKEY_COLUMNS = 'id, credential_id, user_id, public_key, counter, transports, device_type, backed_up, name, created_at, last_used_at';
export const CHALLENGE_COLUMNS = 'challenge, ceremony, user_id, expires_at';

export const toPasskey = (r: PasskeyRow): PasskeyRecord => ({
  id: r.id,
  credentialId: r.credential_id,
  userId: r.user_id,
  publicKey: r.public_key,
  counter: r.counter,
  transports: JSON.parse(r.transports) as string[],
  deviceType: r.device_type === 'multiDevice' ? 'multiDevice' : 'singleDevice',
  backedUp: r.backed_up === true || r.backed_up === 1,
  name: r.name,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

export const toChallenge = (r: ChallengeRow): WebAuthnChallenge => ({
  challenge: r.challenge,
  ceremony: r.ceremony as WebAuthnCeremony,
  userId: r.user_id,
  expiresAt: r.expires_at,
});

/** What `consumeChallenge` answers for the row it deleted (or none). */
export function acceptedChallenge(row: ChallengeRow | undefined, ceremony: WebAuthnCeremony, now: number): WebAuthnChallenge | null {
  if (!row || row.ceremony !== ceremony || row.expires_at <= now) return null;
  return toChallenge(row);
}
