//! What Flight SQL clients browse before they query (JDBC and ADBC `get_objects`, DBeaver's tree):
//! catalogs, schemas, tables with their Arrow schemas, and table types, read off the session's
//! catalogs and answered with arrow-flight's own builders (which apply the clients' filters).
use arrow_flight::sql::metadata::{GetCatalogsBuilder, GetDbSchemasBuilder, GetTablesBuilder};
use arrow_flight::sql::{CommandGetCatalogs, CommandGetDbSchemas, CommandGetTableTypes, CommandGetTables};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::TableType;
use datafusion::prelude::SessionContext;
use tonic::Status;

fn built<E: std::fmt::Display>(batch: Result<RecordBatch, E>) -> Result<RecordBatch, Status> {
    batch.map_err(|e| Status::internal(e.to_string()))
}

fn type_name(t: TableType) -> &'static str {
    match t {
        TableType::Base => "TABLE",
        TableType::View => "VIEW",
        TableType::Temporary => "LOCAL TEMPORARY",
    }
}

/// The catalogs (`datafusion`).
pub fn catalogs(ctx: &SessionContext, query: CommandGetCatalogs) -> Result<RecordBatch, Status> {
    let mut builder: GetCatalogsBuilder = query.into_builder();
    for name in ctx.catalog_names() {
        builder.append(name);
    }
    built(builder.build())
}

/// The schemas of each catalog.
pub fn schemas(ctx: &SessionContext, query: CommandGetDbSchemas) -> Result<RecordBatch, Status> {
    let mut builder: GetDbSchemasBuilder = query.into_builder();
    for catalog in ctx.catalog_names() {
        if let Some(c) = ctx.catalog(&catalog) {
            for schema in c.schema_names() {
                builder.append(&catalog, schema);
            }
        }
    }
    built(builder.build())
}

/// The tables, with their Arrow schemas when the client asks for them.
pub async fn tables(ctx: &SessionContext, query: CommandGetTables) -> Result<RecordBatch, Status> {
    let mut builder: GetTablesBuilder = query.into_builder();
    for catalog in ctx.catalog_names() {
        let Some(c) = ctx.catalog(&catalog) else { continue };
        for schema in c.schema_names() {
            let Some(s) = c.schema(&schema) else { continue };
            for table in s.table_names() {
                // A table that cannot be opened is left out of the listing; querying it says why.
                let Ok(Some(provider)) = s.table(&table).await else { continue };
                let kind = type_name(provider.table_type());
                builder
                    .append(&catalog, &schema, &table, kind, &provider.schema())
                    .map_err(|e| Status::internal(e.to_string()))?;
            }
        }
    }
    built(builder.build())
}

/// The kinds of table there are.
pub fn table_types(query: CommandGetTableTypes) -> Result<RecordBatch, Status> {
    let mut builder = query.into_builder();
    for t in [TableType::Base, TableType::View, TableType::Temporary] {
        builder.append(type_name(t));
    }
    built(builder.build())
}
