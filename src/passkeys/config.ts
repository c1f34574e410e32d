/** What the passkey ceremonies are configured with (`passkeys.*`, and the user-handle key from the server secret). */
export interface PasskeyConfig {
  rpId: string;
  rpName: string;
  origins: readonly string[];
  userVerification: 'required' | 'preferred' | 'discouraged';
  challengeLifetime: number;
  maxPerUser: number;
  userHandleKey: Buffer;
}
