//! Arrow Flight SQL, by arrow-flight's `FlightSqlService` on tonic: statements are planned when a
//! client asks for their `FlightInfo` (so errors and the result's schema come back at once) and
//! run when it asks for the ticket. The plan waits for the ticket in [`Planned`], so a statement
//! is planned once; the ticket's handle also carries the statement's text, which is planned again
//! only if the plan is no longer kept. Record batches are
//! sent as DataFusion makes them; a client that goes away drops the query. Catalog browsing
//! (catalogs, schemas, tables, table types) is in [`flight_catalog`].
use std::collections::{HashSet, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::{FlightService, FlightServiceServer};
use arrow_flight::sql::server::FlightSqlService;
use arrow_flight::sql::{
    CommandGetCatalogs, CommandGetDbSchemas, CommandGetTableTypes, CommandGetTables, CommandStatementQuery,
    ProstMessageExt, SqlInfo, TicketStatementQuery,
};
use arrow_flight::{
    FlightDescriptor, FlightEndpoint, FlightInfo, HandshakeRequest, HandshakeResponse, Ticket,
};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::{alphabet, Engine as _};
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::DFParser;
use futures::{Stream, TryStreamExt};
use prost::Message;
use tokio::net::TcpListener;
use tonic::metadata::MetadataMap;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status, Streaming};

use super::flight_catalog;
use super::guard::refusal_df;
use super::{token, Secret};

/// The Flight SQL service over one session.
struct Service {
    ctx: Arc<SessionContext>,
    password: Option<Secret>,
    /// Bearer tokens handed out by the handshake (for the life of the server).
    tokens: Mutex<HashSet<String>>,
    /// Statements planned for a `FlightInfo`, waiting for their ticket.
    planned: Mutex<Planned>,
}

/// Plans waiting for their ticket, by number; the oldest is dropped beyond [`Planned::KEEP`]
/// (a client that never asks for its ticket leaves its plan behind).
#[derive(Default)]
struct Planned {
    next: u64,
    plans: VecDeque<(u64, DataFrame)>,
}

impl Planned {
    /// Plans kept at most.
    const KEEP: usize = 64;

    fn keep(&mut self, df: DataFrame) -> u64 {
        self.next += 1;
        if self.plans.len() == Self::KEEP {
            self.plans.pop_front();
        }
        self.plans.push_back((self.next, df));
        self.next
    }

    fn take(&mut self, id: u64) -> Option<DataFrame> {
        let at = self.plans.iter().position(|(n, _)| *n == id)?;
        self.plans.remove(at).map(|(_, df)| df)
    }
}

/// A statement handle: the plan's number (8 bytes, little-endian), then the statement's text.
fn handle(id: u64, sql: &str) -> Vec<u8> {
    let mut out = id.to_le_bytes().to_vec();
    out.extend_from_slice(sql.as_bytes());
    out
}

/// The plan number and text of a handle made by [`handle`].
fn read_handle(bytes: &[u8]) -> Option<(u64, String)> {
    let (id, sql) = bytes.split_at_checked(8)?;
    Some((u64::from_le_bytes(id.try_into().ok()?), String::from_utf8(sql.to_vec()).ok()?))
}

/// Answer Flight SQL clients on `listener` until the future is dropped.
pub async fn run(
    ctx: Arc<SessionContext>,
    listener: TcpListener,
    password: Option<Secret>,
) -> Result<(), String> {
    let service = Service {
        ctx,
        password,
        tokens: Mutex::new(HashSet::new()),
        planned: Mutex::new(Planned::default()),
    };
    tonic::transport::Server::builder()
        .add_service(FlightServiceServer::new(service))
        // Replies go out at once: with Nagle's algorithm a small reply waited for the client's
        // delayed acknowledgement (about 40 ms a query).
        .serve_with_incoming(TcpIncoming::from(listener).with_nodelay(Some(true)))
        .await
        .map_err(|e| e.to_string())
}

type DoGetStream = Pin<Box<dyn Stream<Item = Result<arrow_flight::FlightData, Status>> + Send + 'static>>;

impl Service {
    /// Let the request through when no password is set, or it carries a token of ours, or the
    /// password itself (as a bearer token, or basic with any user name).
    fn check(&self, metadata: &MetadataMap) -> Result<(), Status> {
        let Some(secret) = &self.password else {
            return Ok(());
        };
        let header = metadata.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if let Some(bearer) = header.strip_prefix("Bearer ") {
            let known = self.tokens.lock().map(|t| t.contains(bearer)).unwrap_or(false);
            if known || secret.matches(bearer) {
                return Ok(());
            }
        } else if let Some(pass) = basic_password(header) {
            if secret.matches(&pass) {
                return Ok(());
            }
        }
        Err(Status::unauthenticated(
            "this server needs a password: give it as basic authentication (any user name) or as a bearer token",
        ))
    }

    /// The statement `sql` planned, if a read-only server may run it.
    async fn plan(&self, sql: &str) -> Result<DataFrame, Status> {
        let mut statements = DFParser::parse_sql(sql).map_err(|e| Status::invalid_argument(e.to_string()))?;
        let statement = match (statements.pop_front(), statements.is_empty()) {
            (Some(s), true) => s,
            _ => return Err(Status::invalid_argument("send exactly one SQL statement per query")),
        };
        if let Some(why) = refusal_df(&statement) {
            return Err(Status::permission_denied(why));
        }
        let state = self.ctx.state();
        let plan = state.statement_to_plan(statement).await.map_err(status)?;
        self.ctx.execute_logical_plan(plan).await.map_err(status)
    }
}

/// The `FlightInfo` of a listing: its ticket is the command itself, answered by `do_get_*`.
fn listing(
    command: &impl ProstMessageExt,
    schema: &Schema,
    descriptor: FlightDescriptor,
) -> Result<Response<FlightInfo>, Status> {
    let ticket = Ticket { ticket: command.as_any().encode_to_vec().into() };
    let info = FlightInfo::new()
        .try_with_schema(schema)
        .map_err(|e| Status::internal(e.to_string()))?
        .with_endpoint(FlightEndpoint::new().with_ticket(ticket))
        .with_descriptor(descriptor);
    Ok(Response::new(info))
}

/// One record batch as a `DoGet` stream.
fn one_batch(batch: RecordBatch) -> Result<Response<DoGetStream>, Status> {
    let schema = batch.schema();
    let batches = futures::stream::iter([Ok(batch)]);
    let flight = FlightDataEncoderBuilder::new().with_schema(schema).build(batches);
    Ok(Response::new(Box::pin(flight.map_err(|e| Status::internal(e.to_string())))))
}

/// The password of a `Basic base64(user:password)` header.
fn basic_password(header: &str) -> Option<String> {
    let encoded = header.strip_prefix("Basic ")?;
    // Go's Flight client (ADBC) leaves the padding off; others put it on.
    let lenient = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let decoded = GeneralPurpose::new(&alphabet::STANDARD, lenient).decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':').map(|(_, pass)| pass.to_string())
}

/// A DataFusion error as a gRPC status: the user's mistakes are invalid arguments.
fn status(e: DataFusionError) -> Status {
    let message = e.find_root().to_string();
    match e.find_root() {
        DataFusionError::Plan(_) | DataFusionError::SQL(..) | DataFusionError::SchemaError(..) => {
            Status::invalid_argument(message)
        }
        DataFusionError::ResourcesExhausted(_) => Status::resource_exhausted(message),
        DataFusionError::NotImplemented(_) => Status::unimplemented(message),
        _ => Status::internal(message),
    }
}

#[tonic::async_trait]
impl FlightSqlService for Service {
    type FlightService = Service;

    async fn do_handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>>, Status> {
        self.check(request.metadata())?;
        let token = token();
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.insert(token.clone());
        }
        let reply = HandshakeResponse { protocol_version: 0, payload: token.clone().into() };
        let mut response: Response<Pin<Box<dyn Stream<Item = _> + Send>>> =
            Response::new(Box::pin(futures::stream::iter([Ok(reply)])));
        let header = format!("Bearer {token}").parse().map_err(|_| Status::internal("bad token"))?;
        response.metadata_mut().insert("authorization", header);
        Ok(response)
    }

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.check(request.metadata())?;
        let df = self.plan(&query.query).await?;
        let schema = df.schema().as_arrow().clone();
        let id = self.planned.lock().map(|mut p| p.keep(df)).unwrap_or(0);
        let handle = TicketStatementQuery { statement_handle: handle(id, &query.query).into() };
        let ticket = Ticket { ticket: handle.as_any().encode_to_vec().into() };
        let info = FlightInfo::new()
            .try_with_schema(&schema)
            .map_err(|e| Status::internal(e.to_string()))?
            .with_endpoint(FlightEndpoint::new().with_ticket(ticket))
            .with_descriptor(request.into_inner());
        Ok(Response::new(info))
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.check(request.metadata())?;
        let (id, sql) = read_handle(&ticket.statement_handle)
            .ok_or_else(|| Status::invalid_argument("the ticket is not one this server gave"))?;
        let kept = self.planned.lock().ok().and_then(|mut p| p.take(id));
        let df = match kept {
            Some(df) => df,
            None => self.plan(&sql).await?,
        };
        let schema = df.schema().inner().clone();
        let batches =
            df.execute_stream().await.map_err(status)?.map_err(|e| FlightError::ExternalError(Box::new(e)));
        let flight = FlightDataEncoderBuilder::new().with_schema(schema).build(batches);
        let stream: DoGetStream = Box::pin(flight.map_err(|e| Status::internal(e.to_string())));
        Ok(Response::new(stream))
    }

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.check(request.metadata())?;
        let schema = query.into_builder().schema();
        listing(&query, &schema, request.into_inner())
    }

    async fn do_get_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.check(request.metadata())?;
        one_batch(flight_catalog::catalogs(&self.ctx, query)?)
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.check(request.metadata())?;
        let schema = query.clone().into_builder().schema();
        listing(&query, &schema, request.into_inner())
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.check(request.metadata())?;
        one_batch(flight_catalog::schemas(&self.ctx, query)?)
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.check(request.metadata())?;
        let schema = query.clone().into_builder().schema();
        listing(&query, &schema, request.into_inner())
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.check(request.metadata())?;
        one_batch(flight_catalog::tables(&self.ctx, query).await?)
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.check(request.metadata())?;
        let schema = query.into_builder().schema();
        listing(&query, &schema, request.into_inner())
    }

    async fn do_get_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.check(request.metadata())?;
        one_batch(flight_catalog::table_types(query)?)
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_waits_for_its_ticket_once_and_the_oldest_goes_first() {
        let ctx = SessionContext::new();
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let df = rt.block_on(ctx.sql("select 1")).unwrap();
        let mut planned = Planned::default();
        let first = planned.keep(df.clone());
        assert!(planned.take(first).is_some());
        assert!(planned.take(first).is_none(), "a plan is taken once");
        let ids: Vec<u64> = (0..Planned::KEEP + 1).map(|_| planned.keep(df.clone())).collect();
        assert!(planned.take(ids[0]).is_none(), "the oldest was dropped");
        assert!(planned.take(ids[1]).is_some() && planned.take(ids[Planned::KEEP]).is_some());
        // The handle carries the text for a plan no longer kept; a foreign ticket is refused.
        assert_eq!(read_handle(&handle(7, "select 1")), Some((7, "select 1".to_string())));
        assert_eq!(read_handle(b"select"), None);
    }
}
