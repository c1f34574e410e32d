/**
 * Gatehouse: authentication for REST APIs, wire-compatible with Django REST
 * framework's TokenAuthentication, knox and simplejwt.
 */
export * from './core/errors.js';
export type { User, Principal } from './core/user.js';
export type { Authenticator } from './core/authenticator.js';
export type { RequestView } from './core/request.js';
export { SAFE_METHODS, parseCookies } from './core/request.js';
export { authenticate, checkPermissions, checkThrottles, errorResponse, runPolicy, socketAddress } from './core/pipeline.js';
export type { Permission, PermissionContext, PermissionVerdict, PermissionAnswer, CoreResponse, Policy, ClientAddressResolver } from './core/pipeline.js';
export type { Throttle, ThrottleContext, ThrottleDecision } from './core/throttle.js';
export { createGuard } from './http/guard.js';
export type { Guard, GuardOutcome, GuardPolicy, GuardOptions } from './http/guard.js';
export { failureResponse } from './http/failure.js';
export { systemClock, FakeClock, type Clock } from './core/clock.js';
export { parseDuration } from './core/duration.js';
export { loadSettings, parseSettings, SettingsError, SETTINGS_DOC } from './core/settings.js';
export type { Settings, SettingsInput, SettingDoc } from './core/settings.js';
export { AllowAny, IsAuthenticated, IsAdminUser, IsAuthenticatedOrReadOnly } from './permissions/index.js';
export { PasswordHasher, PasswordHasherBusy, defaultPasswordPolicy, PasswordValidators, CommonPasswordsFileError } from './passwords/index.js';
export type { PasswordValidatorOptions, PasswordValidatorName } from './passwords/index.js';
export type { PasswordPolicy } from './passwords/index.js';
export { UserService, validateUsername, InvalidUsername } from './users/service.js';
export { BasicAuthentication } from './users/basic-authentication.js';
export { TokenAuthentication } from './tokens/authentication.js';
export { OpaqueTokenService } from './tokens/service.js';
export { ApiKeyAuthentication, apiKeyOf } from './apikeys/authentication.js';
export { ApiKeyService, type ApiKeyPrincipal, type IssuedApiKey, type NewApiKey } from './apikeys/service.js';
export { ApiKeyRateThrottle } from './apikeys/throttle.js';
export { InvalidApiKey } from './apikeys/errors.js';
export { isServicePrincipal } from './apikeys/principal.js';
export type { ApiKeyPatch, ApiKeyRecord, ApiKeyStore } from './stores/types.js';
export type { MfaMethodName, ProofContext, SecondFactorMethod, SecondFactorProof, SecondFactors } from './mfa/types.js';
export { MfaFactors } from './mfa/factors.js';
export { MfaService, type ManagementProof, type MfaStatus } from './mfa/service.js';
export { TotpMethod, type TotpEnrolment } from './mfa/totp.js';
export { RecoveryCodes } from './mfa/recovery.js';
export type { MfaStore, TotpDevice } from './stores/types.js';
// Passkeys: types only (the WebAuthn library loads only when `passkeys.enabled`).
export type { PasskeyService, PasskeyConfig } from './passkeys/service.js';
export type { WebAuthnFactor } from './passkeys/factor.js';
export { MfaGate, type LoginAttempt, type LoginProof, type VerifiedLogin } from './mfa/gate.js';
export { MfaRefused, MfaRequired, type MfaRefusal } from './mfa/errors.js';
export { TrustedDevices } from './mfa/trusted-devices.js';
export type { MfaTicketRecord, MfaTicketStore, TrustedDeviceRecord, TrustedDeviceStore } from './stores/types.js';
export type { OpaqueTokenOptions, IssuedToken } from './tokens/service.js';
export type * from './stores/types.js';
export { UsernameTaken, TokenLimitReached } from './stores/types.js';
export { Engine } from './http/engine.js';
export type { Route, Handler, HandlerContext, HandlerResult } from './http/route.js';
export { opaqueTokenRoutes } from './http/endpoints/opaque.js';
export { userRoutes, healthRoutes } from './http/endpoints/user.js';
export { createGatehouse, createServices, openStores, StartupError } from './server/app.js';
export { createLogger } from './server/logger.js';
export type { Logger } from './server/logger.js';
export { eventLogger, eventLevel, noEvents } from './core/events.js';
export type { SecurityEvent, SecurityEventName, EventSink, UsernameMode, ApiKeyActor, ApiKeyEvent } from './core/events.js';
export type { ObservedRequest } from './http/engine.js';
export { JwtService } from './jwt/service.js';
export type { ClaimsHook, JwtServiceOptions } from './jwt/service.js';
export { JWTAuthentication, JWTStatelessUserAuthentication } from './jwt/authentication.js';
export type { JwtAuth } from './jwt/authentication.js';
export { createJwtKeys, JwtKeyConfigError, rotateKey, retireKey, listKeys } from './jwt/keyring/index.js';
export * from './email/index.js';
export { AccountService, type AccountServiceOptions } from './accounts/service.js';
export { AccountError, AccountEmailFailed } from './accounts/types.js';
export { AccountsNotConfigured } from './accounts/mail.js';
export type {
  AccountErrorCode,
  AccountFlow,
  AccountOperations,
  PasswordOwner,
  ProfilePatch,
  RegisterInput,
  RegisterResult,
  UsernameCheckOptions,
} from './accounts/types.js';
export type { AccountRouteDeps, AccountRouteSet } from './accounts/routes-deps.js';
export { INVALID_EMAIL, isValidEmail, normalizeEmail } from './accounts/email-address.js';
export type { JwtKeys } from './jwt/keyring/index.js';
export { jwtRoutes } from './http/endpoints/jwt.js';
export { jwksRoutes } from './http/endpoints/jwks.js';
// The database stores load their drivers: they are imported from their own subpaths
// (`gatehouse/stores/sqlite`, `/postgres`, `/redis`), or opened by `createGatehouse`.
// The in-memory stores need no driver.
export { MemoryStores } from './stores/memory/index.js';
export type { Gatehouse } from './server/app.js';
export { and, or, not, withMessage, HasScope, HasRole, checkObjectPermissions } from './permissions/index.js';
export {
  createThrottling,
  AnonRateThrottle,
  UserRateThrottle,
  ScopedRateThrottle,
  LoginThrottle,
  MemoryThrottleStore,
  trustedProxyResolver,
  parseRate,
} from './throttle/index.js';
export type { Throttling } from './throttle/index.js';
export { JWTCookieAuthentication } from './jwt/cookie-authentication.js';
export { CookieMode } from './cookies/mode.js';
