// A registry with token auth: the test token service (token-service.mjs) and a
// distribution registry that trusts its certificate. The realm written into the
// registry's config may be another URL than the token service's own, for a realm
// reached through a proxy: pick the proxy's port first (freePort), pass
// `realmUrl: http://127.0.0.1:<port>/token`, then start the proxy on that port.
import { startRegistry } from './registry.mjs';
import { startTokenService, DEFAULT_USERS } from './token-service.mjs';
import { stopOnSignal } from './processes.mjs';

/** The users of DEFAULT_USERS as { user, password } pairs, for clients and browsers. */
export const TOKEN_USERS = Object.fromEntries(
  Object.entries(DEFAULT_USERS).map(([user, { password }]) => [user, { user, password }]),
);

/**
 * Starts a token service and a registry that requires its tokens. Options:
 * - expiresIn, anonymous: the token service's (see startTokenService);
 * - realmUrl: the realm the registry's challenges name (default: the token service);
 * - corsOrigin: the registry's own CORS headers (null: none; distribution still answers
 *   preflights with 401, see deploy/nginx/cors-front.conf.template);
 * - deletes: whether DELETE is enabled.
 * Returns { url, registry, tokenService, realm, users: { admin, reader }, stop() }.
 */
export async function startTokenRegistry({
  expiresIn = 300, anonymous = null, realmUrl = null, corsOrigin = null, deletes = true,
  tokenOptions = {},
} = {}) {
  const tokenService = await startTokenService({ expiresIn, anonymous, ...tokenOptions });
  const realm = realmUrl ?? tokenService.url;
  let registry;
  try {
    registry = await startRegistry({
      deletes,
      corsOrigin,
      token: {
        realm,
        service: tokenService.service,
        issuer: tokenService.issuer,
        rootCertBundle: tokenService.certFile,
      },
    });
  } catch (error) {
    await tokenService.stop();
    throw error;
  }
  return {
    url: registry.url,
    registry,
    tokenService,
    realm,
    users: TOKEN_USERS,
    stop: stopOnSignal(async () => {
      await registry.stop();
      await tokenService.stop();
    }),
  };
}
