// A real OpenID Connect provider (oidc-provider, OpenID Certified) for the
// login tests. Started by tests/demo_oidc.rs:
//
//   node tests/oidc/server.mjs <redirect_uri>
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
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const redirectUri = process.argv[2] ?? process.env.OIDC_REDIRECT_URI;
if (!redirectUri) {
  console.error('usage: node server.mjs <redirect_uri>');
  process.exit(2);
}

function signingKey(type, options, alg) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: `${alg.toLowerCase()}-key` };
}

const keys = [
  signingKey('rsa', { modulusLength: 2048 }, 'RS256'),
  signingKey('ec', { namedCurve: 'P-256' }, 'ES256'),
];

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

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [client('test-client', 'RS256'), client('test-client-es256', 'ES256')],
    jwks: { keys },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
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

  // The `tampered` account: flip the signature of its id_tokens.
  provider.use(async (ctx, next) => {
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

  server.on('request', provider.callback());
  console.log(`listening ${issuer}`);
});

// The test harness ends the process by closing its stdin (or killing it).
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
