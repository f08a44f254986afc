//! The PostgreSQL wire protocol, by datafusion-postgres (its pgwire, `pg_catalog` and functions):
//! chiso adds the read-only guard as the first query hook, MD5 password authentication when a
//! password is set, and its own accept loop (to report the bound address and stop cleanly).
use std::collections::hash_map::RandomState;
use std::fmt::Debug;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::common::ParamValues;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::Statement;
use datafusion_postgres::auth::AuthManager;
use datafusion_postgres::datafusion_pg_catalog::setup_pg_catalog;
use datafusion_postgres::datafusion_pg_functions::register_all;
use datafusion_postgres::hooks::cursor::CursorStatementHook;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use datafusion_postgres::hooks::HookClient;
use datafusion_postgres::pgwire::api::auth::md5pass::{hash_md5_password, Md5PasswordAuthStartupHandler};
use datafusion_postgres::pgwire::api::auth::noop::NoopStartupHandler;
use datafusion_postgres::pgwire::api::auth::{
    AuthSource, DefaultServerParameterProvider, LoginInfo, Password, StartupHandler,
};
use datafusion_postgres::pgwire::api::cancel::DefaultCancelHandler;
use datafusion_postgres::pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use datafusion_postgres::pgwire::api::results::Response;
use datafusion_postgres::pgwire::api::{ClientInfo, ConnectionManager, ErrorHandler, PgWireServerHandlers};
use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use datafusion_postgres::pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use datafusion_postgres::{DfSessionService, QueryHook};
use futures::Sink;
use tokio::net::TcpListener;

use super::guard::{refusal, READ_ONLY_STATE};
use super::Secret;
use crate::error::{Error, Result};

/// Add what PostgreSQL clients ask of a server to `ctx`: the `pg_catalog` schema (psql's `\dt`
/// and `\d`, BI tools' start-up queries) and PostgreSQL's functions. Call it before chiso's
/// functions are registered, so that chiso's keep their meaning where names are shared.
pub fn prepare(ctx: &mut SessionContext) -> Result<()> {
    setup_pg_catalog(ctx, "datafusion", AuthManager::new()).map_err(|e| Error::Query(*e))?;
    register_all(ctx);
    Ok(())
}

/// Answer PostgreSQL clients on `listener` until the future is dropped.
pub async fn run(ctx: Arc<SessionContext>, listener: TcpListener, password: Option<Secret>) {
    let hooks: Vec<Arc<dyn QueryHook>> = vec![
        Arc::new(ReadOnly),
        Arc::new(CursorStatementHook),
        Arc::new(SetShowHook),
        Arc::new(TransactionStatementHook),
    ];
    let handlers = Arc::new(Handlers {
        service: Arc::new(DfSessionService::new_with_hooks(ctx, hooks)),
        connections: Arc::new(ConnectionManager::new()),
        password,
    });
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        let handlers = handlers.clone();
        tokio::spawn(async move {
            // A client that goes away is its own business; the server goes on.
            let _ = datafusion_postgres::pgwire::tokio::process_socket(socket, None, handlers).await;
        });
    }
}

/// The first query hook: refuses what a read-only server must not run.
struct ReadOnly;

/// The refusal of `statement` as the error every protocol step answers with, if it is refused.
fn refuse<T>(statement: &Statement) -> Option<PgWireResult<T>> {
    let why = refusal(statement)?;
    Some(Err(PgWireError::UserError(Box::new(ErrorInfo::new("ERROR".into(), READ_ONLY_STATE.into(), why)))))
}

#[async_trait]
impl QueryHook for ReadOnly {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        refuse(statement)
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        _client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        refuse(statement)
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        _plan: &LogicalPlan,
        _params: &ParamValues,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        refuse(statement)
    }
}

struct Handlers {
    service: Arc<DfSessionService>,
    connections: Arc<ConnectionManager>,
    password: Option<Secret>,
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.service.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.service.clone()
    }

    /// Called once per connection: an MD5 exchange keeps its salt in the handler, so each
    /// connection gets a handler of its own.
    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        Arc::new(match &self.password {
            None => Startup::Open(Open { connections: self.connections.clone() }),
            Some(secret) => Startup::Password(Box::new(
                Md5PasswordAuthStartupHandler::new(
                    Arc::new(Md5Source { secret: secret.clone(), salt: salt() }),
                    Arc::new(DefaultServerParameterProvider::default()),
                )
                .with_connection_manager(self.connections.clone()),
            )),
        })
    }

    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        Arc::new(SqlStates)
    }

    fn cancel_handler(&self) -> Arc<impl datafusion_postgres::pgwire::api::cancel::CancelHandler> {
        Arc::new(DefaultCancelHandler::new(self.connections.clone()))
    }
}

/// Gives DataFusion's errors the SQLSTATE a PostgreSQL client acts on (datafusion-postgres sends
/// them all as `XX000`, internal error): an unknown table is `42P01`, a query stopped at its
/// deadline `57014`, one out of memory `53200`, a syntax or planning error `42601` / `42000`.
struct SqlStates;

impl ErrorHandler for SqlStates {
    fn on_error<C: ClientInfo>(&self, _client: &C, error: &mut PgWireError) {
        let PgWireError::ApiError(inner) = error else {
            return;
        };
        let message = inner.to_string();
        let state = if message.contains("' not found") && message.contains("table '") {
            "42P01"
        } else if message.contains("(--timeout)") {
            "57014"
        } else if message.contains("Resources exhausted") {
            "53200"
        } else if message.starts_with("SQL error") || message.contains("ParserError") {
            "42601"
        } else if message.starts_with("Error during planning") || message.starts_with("Schema error") {
            "42000"
        } else {
            return;
        };
        *error = PgWireError::UserError(Box::new(ErrorInfo::new("ERROR".into(), state.into(), message)));
    }
}

/// Four bytes no client can guess, for one MD5 exchange.
fn salt() -> Vec<u8> {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(std::process::id().into());
    h.finish().to_le_bytes()[..4].to_vec()
}

/// No password: every client is let in (loopback only, see `serve::check_exposure`).
struct Open {
    connections: Arc<ConnectionManager>,
}

impl NoopStartupHandler for Open {
    fn connection_manager(&self) -> Option<Arc<ConnectionManager>> {
        Some(self.connections.clone())
    }
}

/// The password, as MD5 authentication compares it: hashed with the user name and the salt.
#[derive(Debug)]
struct Md5Source {
    secret: Secret,
    salt: Vec<u8>,
}

#[async_trait]
impl AuthSource for Md5Source {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let user = login.user().unwrap_or_default();
        let hashed = hash_md5_password(user, self.secret.expose(), &self.salt);
        Ok(Password::new(Some(self.salt.clone()), hashed.into_bytes()))
    }
}

enum Startup {
    Open(Open),
    Password(Box<Md5PasswordAuthStartupHandler<Md5Source, DefaultServerParameterProvider>>),
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match self {
            Startup::Open(open) => open.on_startup(client, message).await,
            Startup::Password(md5) => md5.on_startup(client, message).await,
        }
    }
}
