//! Distributed execution on Apache DataFusion Ballista (cargo feature `cluster`): chiso's own
//! scheduler and executor processes, which know chiso's SQL functions, and the client side that
//! sends a session's queries to them ([`client`]: the context and engine backend the command line
//! chooses instead of a local one; [`planner`], which readies each plan for the cluster with
//! [`figures`] and [`files`] and cancels abandoned jobs with [`cancel`]; [`scheduler`];
//! [`executor`]; both in one process for a try, [`local`]; the scheduler's plans keep no order through a shuffle, [`order`]). The SQL, tables and commands are the same as in one process. Beside the engine:
//! it imports the engine, never the other way.
pub mod cancel;
pub mod client;
pub mod executor;
pub mod figures;
pub mod files;
pub mod local;
pub mod order;
pub mod planner;
pub mod scheduler;

use crate::error::{Error, Result};

/// The port a Ballista scheduler listens on unless told otherwise.
pub const DEFAULT_SCHEDULER_PORT: u16 = 50050;

/// A `HOST:PORT` pair as given on the command line (the port may be left out for `default_port`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl Address {
    /// Parse `HOST:PORT` or `HOST`; `setting` names the setting in the error.
    pub fn parse(raw: &str, default_port: u16, setting: &'static str) -> Result<Self> {
        let raw = raw.trim();
        // An IPv6 address without a port ("::1") has colons but no closing bracket before the last one.
        let (host, port) = match raw.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') || host.ends_with(']') => (host, Some(port)),
            _ => (raw, None),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(Error::setting(
                setting,
                format!("{raw:?}"),
                "no host given; use HOST:PORT, e.g. 127.0.0.1:50050",
            ));
        }
        let port = match port {
            None => default_port,
            Some(port) => port.parse::<u16>().map_err(|_| {
                Error::setting(setting, raw, format!("{port:?} is not a port number (1-65535)"))
            })?,
        };
        Ok(Self { host: host.to_string(), port })
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Connect to `address` over TCP, retrying for `patience`; on failure, why the last attempt failed.
async fn reachable(address: &Address, patience: std::time::Duration) -> std::result::Result<(), String> {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let attempt = tokio::net::TcpStream::connect((address.host.as_str(), address.port));
        let why = match tokio::time::timeout(std::time::Duration::from_secs(3), attempt).await {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "no answer within 3 s".to_string(),
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(why);
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Send Ballista's log to standard error: warnings and errors by default, more with `RUST_LOG=info`.
fn init_logging() {
    let env = env_logger::Env::default().default_filter_or("warn");
    // A second initialisation (there is none in the CLI) would only be refused, so it is ignored.
    let _ = env_logger::Builder::from_env(env).try_init();
}

/// Turn a Ballista start-up failure into one line saying what could not be started.
fn start_error(what: &str, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Cluster { message: format!("cannot start the {what}"), source: Some(Box::new(e)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let a = Address::parse("10.0.0.5:6000", 1, "bind").unwrap();
        assert_eq!((a.host.as_str(), a.port), ("10.0.0.5", 6000));
        assert_eq!(Address::parse("sched", 50050, "bind").unwrap().port, 50050);
        assert_eq!(Address::parse("[::1]:7000", 1, "bind").unwrap().host, "::1");
        assert!(Address::parse("host:http", 1, "bind").is_err());
        assert!(Address::parse(":5", 1, "bind").is_err());
    }
}
