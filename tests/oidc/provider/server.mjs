// A real OpenID Connect provider (oidc-provider, OpenID Certified) for the
// login tests and the remote-key tests. Started by tests/oidc/browser.rs
// (the login and remote-key tests of tests/oidc/):
//
//   node tests/oidc/provider/server.mjs <redirect_uri>
//
// It listens on 127.0.0.1 on a free port and prints one line,
// `listening http://127.0.0.1:<port>`, once it answers. Configuration:
//
// - one static client, `test-client` / `test-secret`
//   (`client_secret_basic`), whose only redirect URI is the argument, and a
//   second one, `test-client-es256`, whose id_tokens are signed ES256;
// - PKCE required (S256 only, oidc-provider's default);
// - the built-in login form (devInteractions): it accepts any password for
//   the accounts below; consent is granted without asking (a first-party
//   client), so a login is: authorize -> form -> redirect to the client;
// - RS256 and ES256 signing keys, generated at every start.
//
// Accounts: `alice` and `bob` are ordinary users. `tampered` is a user whose
// id_tokens leave the token endpoint with a corrupted signature, so a test can
// show that the relying party refuses an id_token that does not verify.
//
// For the remote-key tests (an API that accepts this provider's access
// tokens), a machine client, `api-client` / `api-secret`, gets JWT access
// tokens (RFC 9068, `typ: at+jwt`) by the client_credentials grant with a
// `resource` parameter (RFC 8707):
//
// - `urn:auth-toolkit:test-api`: audience `urn:auth-toolkit:test-api`, RS256;
// - `urn:auth-toolkit:test-api:es256`: the same audience, signed ES256;
// - `urn:auth-toolkit:other-api`: another API's audience, for refusals.
//
// Test-only control endpoints (outside the provider's own routes):
//
// - `POST /_test/rotate`: the provider rotates its keys as a real one would,
//   without changing its issuer URL: new keys with new kids replace the old
//   ones, which are withdrawn from the JWK Set. The whole Provider instance is
//   replaced (oidc-provider reads its keys once, at construction), so its
//   in-memory state (login sessions, grants) starts empty; the login tests
//   never rotate. Answers `{"kids": [...]}`, the new kids.
// - `GET /_test/jwks-fetches`: `{"count": N}`, how many times the JWK Set
//   (the discovery document's `jwks_uri`) was requested since the start.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider, { errors } from 'oidc-provider';

const redirectUri = process.argv[2] ?? process.env.OIDC_REDIRECT_URI;
if (!redirectUri) {
  console.error('usage: node server.mjs <redirect_uri>');
  process.exit(2);
}

function signingKey(type, options, alg, tag) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: `${alg.toLowerCase()}-${tag}` };
}

// Every generation of keys has kids of its own: a rotation must show up to
// the relying party as kids it has never seen.
let generation = 0;
function freshKeys() {
  generation += 1;
  const tag = `${generation}-${randomBytes(4).toString('hex')}`;
  return [
    signingKey('rsa', { modulusLength: 2048 }, 'RS256', tag),
    signingKey('ec', { namedCurve: 'P-256' }, 'ES256', tag),
  ];
}

const accounts = {
  alice: { preferred_username: 'alice', name: 'Alice Example', email: 'alice@example.test', email_verified: true },
  bob: { preferred_username: 'bob', name: 'Bob Example', email: 'bob@example.test', email_verified: true },
  tampered: { preferred_username: 'tampered' },
};

const client = (clientId, alg) => ({
  client_id: clientId,
  client_secret: 'test-secret',
  redirect_uris: [redirectUri],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  id_token_signed_response_alg: alg,
});

// A machine client: no redirect URIs, no user, client_credentials only.
const apiClient = {
  client_id: 'api-client',
  client_secret: 'api-secret',
  redirect_uris: [],
  grant_types: ['client_credentials'],
  response_types: [],
  token_endpoint_auth_method: 'client_secret_basic',
};

const TEST_API = 'urn:auth-toolkit:test-api';
const OTHER_API = 'urn:auth-toolkit:other-api';
// resource indicator -> what the provider knows of that resource server.
const resourceServers = {
  [TEST_API]: { audience: TEST_API, alg: 'RS256' },
  [`${TEST_API}:es256`]: { audience: TEST_API, alg: 'ES256' },
  [OTHER_API]: { audience: OTHER_API, alg: 'RS256' },
};

// A fresh configuration per Provider: oidc-provider takes ownership of the
// object it is given (it deletes `clients` from it, for one).
const configuration = (keys) => ({
  clients: [client('test-client', 'RS256'), client('test-client-es256', 'ES256'), apiClient],
  jwks: { keys },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Only for an explicit `resource`: the login clients ask for none and
      // keep their opaque, userinfo-only access tokens.
      async getResourceServerInfo(ctx, resourceIndicator) {
        const server = resourceServers[resourceIndicator];
        if (!server) throw new errors.InvalidTarget();
        return {
          audience: server.audience,
          scope: 'api:read api:write',
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg: server.alg } },
        };
      },
    },
  },
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name'],
    email: ['email', 'email_verified'],
  },
  // Keys for the provider's own cookies (its login session), not ours.
  cookies: { keys: ['oidc-test-cookie-key'] },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
  },
  // A first-party client: consent is implied, so no consent page.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile email');
    await grant.save();
    return grant;
  },
});

function provider(issuer, keys) {
  const instance = new Provider(issuer, configuration(keys));

  // The `tampered` account: flip the signature of its id_tokens.
  instance.use(async (ctx, next) => {
    await next();
    const idToken = ctx.path === '/token' && ctx.body?.id_token;
    if (typeof idToken !== 'string') return;
    const [header, payload, signature] = idToken.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    if (claims.sub !== 'tampered') return;
    const bytes = Buffer.from(signature, 'base64url');
    bytes[0] ^= 0x01;
    ctx.body = { ...ctx.body, id_token: `${header}.${payload}.${bytes.toString('base64url')}` };
  });

  return { handle: instance.callback(), jwksPath: instance.pathFor('jwks') };
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  let keys = freshKeys();
  // Every request goes to the current instance: a rotation swaps it, and
  // the issuer URL stays the same.
  let current = provider(issuer, keys);
  let jwksFetches = 0;

  server.on('request', (req, res) => {
    const { pathname } = new URL(req.url, issuer);
    if (pathname === '/_test/rotate' && req.method === 'POST') {
      keys = freshKeys();
      current = provider(issuer, keys);
      json(res, 200, { kids: keys.map((key) => key.kid) });
      return;
    }
    if (pathname === '/_test/jwks-fetches' && req.method === 'GET') {
      json(res, 200, { count: jwksFetches });
      return;
    }
    if (pathname === current.jwksPath && req.method === 'GET') {
      jwksFetches += 1;
    }
    current.handle(req, res);
  });
  console.log(`listening ${issuer}`);
});

// The test harness ends the process by closing its stdin (or killing it).
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
