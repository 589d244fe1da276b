//! One layer accepting the tokens of several issuers (`Verifier::any`).

use std::convert::Infallible;

use auth_core::{Algorithm, KeySet, TokenIssuer, TokenRequest, Verifier};
use auth_middleware::{AuthLayer, AuthUser};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use tower::{ServiceBuilder, ServiceExt};

type TestResult = Result<(), Box<dyn std::error::Error>>;

async fn issuer_of(request: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
    let iss = request
        .extensions()
        .get::<AuthUser>()
        .map_or_else(String::new, |user| user.access_claims().iss.clone());
    Ok(Response::new(Full::from(iss)))
}

#[tokio::test]
async fn the_layer_accepts_each_trusted_issuer_and_no_other() -> TestResult {
    let ours = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA)?,
        "https://id.example",
        "api",
    );
    let partner = TokenIssuer::new(
        KeySet::generate(Algorithm::ES256)?,
        "https://partner.example",
        "api",
    );
    let stranger = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA)?,
        "https://stranger.example",
        "api",
    );
    let service = ServiceBuilder::new()
        .layer(AuthLayer::bearer(Verifier::any([
            ours.verifier(),
            partner.verifier(),
        ])))
        .service_fn(issuer_of);

    for (issuer, expected) in [
        (&ours, Some("https://id.example")),
        (&partner, Some("https://partner.example")),
        (&stranger, None),
    ] {
        let token = issuer.issue(&TokenRequest::new("u"))?.access_token;
        let request = Request::get("/")
            .header("authorization", format!("Bearer {token}"))
            .body(Full::default())?;
        let response = service.clone().oneshot(request).await?;
        match expected {
            Some(iss) => {
                assert_eq!(response.status(), StatusCode::OK);
                assert_eq!(response.into_body().collect().await?.to_bytes(), iss);
            }
            None => assert_eq!(response.status(), StatusCode::UNAUTHORIZED),
        }
    }
    Ok(())
}
