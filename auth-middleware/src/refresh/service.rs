//! The [`RefreshService`]: the refresh layer applied to a service.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::{Plan, RefreshFuture, SetCookies, Shared};

/// Refreshes a page's session before calling the inner service `S`; made by a
/// [`RefreshLayer`](super::RefreshLayer), whose documentation says when.
pub struct RefreshService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> RefreshService<S> {
    pub(crate) fn from_shared(inner: S, shared: Arc<Shared>) -> Self {
        RefreshService { inner, shared }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, consuming this one.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RefreshService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = RefreshFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let shared = &self.shared;
        let refresh_token = match shared.plan(request.headers()) {
            Plan::PassThrough => {
                return RefreshFuture::inner(self.inner.call(request), SetCookies::default());
            }
            Plan::DropDeadAccess => {
                shared
                    .cookies
                    .replace_in_request(request.headers_mut(), None, None);
                let mut set = SetCookies::default();
                set.push(shared.cookies.access_key(), shared.cookies.clear_access());
                return RefreshFuture::inner(self.inner.call(request), set);
            }
            Plan::Refresh(token) => token.to_owned(),
        };
        // The ready service goes into the future; its clone stays for the
        // next request (tower's advice for services that call later).
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let shared = Arc::clone(shared);
        #[cfg(feature = "router")]
        let client =
            crate::extract::client::Client::from_request(request.headers(), request.extensions());
        #[cfg(not(feature = "router"))]
        let client = auth_core::flow::ClientInfo::unknown();
        RefreshFuture::refreshing(Box::pin(async move {
            let set = shared
                .refresh(request.headers_mut(), &refresh_token, client)
                .await;
            let mut inner = inner;
            let mut response = inner.call(request).await?;
            set.apply(response.headers_mut());
            Ok(response)
        }))
    }
}

impl Shared {
    /// Exchanges `refresh_token` and rewrites the request's cookies; returns
    /// the cookies to set on the response.
    async fn refresh(
        &self,
        headers: &mut http::HeaderMap,
        refresh_token: &str,
        client: auth_core::flow::ClientInfo,
    ) -> SetCookies {
        let cookies = &self.cookies;
        let mut set = SetCookies::default();
        match self.authenticator.refresh(refresh_token, client).await {
            Ok(pair) => {
                let access = &pair.access.access_token;
                let refresh = pair.refresh.expose();
                cookies.replace_in_request(headers, Some(access), Some(refresh));
                set.push(cookies.access_key(), cookies.set_access(access));
                set.push(cookies.refresh_key(), cookies.set_refresh(refresh));
                tracing::debug!(sid = %pair.access.sid, "session refreshed transparently");
            }
            Err(auth_core::FlowError::InvalidGrant) => {
                cookies.replace_in_request(headers, None, None);
                set.push(cookies.access_key(), cookies.clear_access());
                set.push(cookies.refresh_key(), cookies.clear_refresh());
                tracing::debug!("refresh cookie refused; continuing anonymous");
            }
            Err(error) => {
                // Perhaps only the store is down: keep the refresh cookie
                // for a later try, drop the dead access token.
                cookies.replace_in_request(headers, None, Some(refresh_token));
                set.push(cookies.access_key(), cookies.clear_access());
                tracing::warn!(%error, "transparent refresh failed; continuing anonymous");
            }
        }
        set
    }
}

impl<S: Clone> Clone for RefreshService<S> {
    fn clone(&self) -> Self {
        RefreshService {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for RefreshService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}
