//! Serving a session to clients of other programs (feature `serve`), beside the engine as the
//! cluster is: the PostgreSQL wire protocol ([`postgres`], for psql, BI tools and ODBC) and
//! Arrow Flight SQL ([`flight`], for notebooks through ADBC). Both refuse writes ([`guard`]);
//! per-query limits are the session's (`engine::limits`), set by the caller.
pub mod flight;
pub mod flight_catalog;
pub mod guard;
pub mod postgres;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::sync::Arc;

use datafusion::prelude::SessionContext;
use tokio::net::TcpListener;

use crate::error::{Error, Result};

/// A password, kept out of `Debug` output and logs.
#[derive(Clone)]
pub struct Secret(Arc<str>);

impl Secret {
    /// A password from its text; surrounding whitespace (a file's final newline) is not part of it.
    pub fn new(text: &str) -> Option<Self> {
        let text = text.trim();
        (!text.is_empty()).then(|| Self(text.into()))
    }

    /// The password itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `given` is the password, compared in time that does not depend on where they differ.
    pub fn matches(&self, given: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), given.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// A token no client can guess: 128 bits from the process's randomly keyed hashers.
pub fn token() -> String {
    let mut out = String::new();
    for _ in 0..2 {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// Where to listen and who may connect.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The PostgreSQL wire protocol's address, if served.
    pub pg: Option<SocketAddr>,
    /// The Flight SQL address, if served.
    pub flight: Option<SocketAddr>,
    /// The password clients must give; required off loopback.
    pub password: Option<Secret>,
}

/// The addresses a server is listening on, once bound (a port 0 is replaced by the real one).
#[derive(Debug, Clone, Default)]
pub struct Bound {
    /// The PostgreSQL address.
    pub pg: Option<SocketAddr>,
    /// The Flight SQL address.
    pub flight: Option<SocketAddr>,
}

/// Refuse to listen beyond this machine without a password.
fn check_exposure(options: &ServeOptions) -> Result<()> {
    if options.password.is_some() {
        return Ok(());
    }
    let open = [("pg", options.pg), ("flight", options.flight)]
        .into_iter()
        .find_map(|(name, addr)| addr.filter(|a| !a.ip().is_loopback()).map(|a| (name, a)));
    match open {
        None => Ok(()),
        Some((name, addr)) => Err(Error::setting(
            name,
            addr.to_string(),
            "listening beyond this machine needs a password: give the server one, or listen on 127.0.0.1",
        )),
    }
}

async fn bind(name: &'static str, addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::AddrInUse => {
                "the port is in use by another program: choose another one".to_string()
            }
            std::io::ErrorKind::PermissionDenied => {
                "not allowed to listen there: use a port above 1023".to_string()
            }
            _ => format!("cannot listen there: {e}"),
        };
        Error::setting(name, addr.to_string(), why)
    })
}

/// Listen as `options` say, call `ready` with the bound addresses, and serve `ctx` until
/// `stop` completes.
pub async fn serve(
    ctx: SessionContext,
    options: &ServeOptions,
    ready: impl FnOnce(&Bound),
    stop: impl std::future::Future<Output = ()>,
) -> Result<()> {
    check_exposure(options)?;
    let ctx = Arc::new(ctx);
    let mut bound = Bound::default();
    let mut servers = tokio::task::JoinSet::new();
    if let Some(addr) = options.pg {
        let listener = bind("pg", addr).await?;
        bound.pg = listener.local_addr().ok();
        let (ctx, password) = (ctx.clone(), options.password.clone());
        servers.spawn(async move {
            postgres::run(ctx, listener, password).await;
            Ok(())
        });
    }
    if let Some(addr) = options.flight {
        let listener = bind("flight", addr).await?;
        bound.flight = listener.local_addr().ok();
        let (ctx, password) = (ctx.clone(), options.password.clone());
        servers.spawn(async move { flight::run(ctx, listener, password).await });
    }
    ready(&bound);
    tokio::select! {
        _ = stop => Ok(()),
        Some(ended) = servers.join_next() => {
            let why = match ended {
                Ok(Ok(())) => "a server stopped".to_string(),
                Ok(Err(e)) => e,
                Err(e) => e.to_string(),
            };
            Err(Error::Internal(format!("the server stopped: {why}")))
        }
    }
}
