//! Where a warehouse lives: a local directory, or a prefix of an S3-compatible bucket
//! (`s3://bucket/prefix`). A location is written like a path everywhere chiso takes one; this
//! module alone tells the two apart, so a URL is never taken for a local folder named `s3:`.
//!
//! S3 goes through object_store's own client (the one DataFusion and deltalake read through),
//! configured by the standard environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`. A commit is the conditional creation of the
//! table's next log entry (`If-None-Match: *`), which S3 and its compatible stores make atomic.
use std::path::Path;
use std::sync::{Arc, Once};

use datafusion::error::DataFusionError;
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use deltalake::logstore::{
    default_logstore, logstore_factories, object_store_factories, LogStore, LogStoreFactory,
    ObjectStoreFactory, ObjectStoreRef, StorageConfig,
};
use deltalake::{DeltaResult, DeltaTableError};
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as StorePath;
use object_store::ObjectStore;
use url::Url;

use crate::error::{Error, Result};

/// A warehouse or table location, told apart from what the user wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A local directory.
    Local,
    /// An object-store URL (`s3://bucket/prefix/`, with the trailing slash of a directory).
    Remote(Url),
}

/// The schemes chiso reads and writes besides local paths.
const SCHEMES: [&str; 2] = ["s3", "s3a"];

/// What `location` is: a local path, or an `s3://` URL. Any other `scheme://` is refused, so it
/// is never taken for a local directory.
pub fn place(location: &Path) -> Result<Place> {
    let Some(text) = location.to_str().filter(|t| t.contains("://")) else { return Ok(Place::Local) };
    let scheme = text.split("://").next().unwrap_or_default().to_ascii_lowercase();
    if !SCHEMES.contains(&scheme.as_str()) {
        let problem = format!(
            "{scheme}:// is not a storage chiso knows; give a local directory or an s3://bucket/prefix URL"
        );
        return Err(Error::Usage(format!("{text}: {problem}")));
    }
    let mut url = Url::parse(text).map_err(|e| Error::Usage(format!("{text}: not a valid URL ({e})")))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::Usage(format!("{text}: no bucket; write s3://BUCKET/PREFIX")));
    }
    if !url.path().ends_with('/') {
        url.set_path(&format!("{}/", url.path()));
    }
    Ok(Place::Remote(url))
}

/// True when `location` is an object-store URL.
pub fn is_remote(location: &Path) -> bool {
    matches!(place(location), Ok(Place::Remote(_)))
}

/// The S3 client for `url`'s bucket, configured from the environment.
pub fn s3_store(url: &Url) -> Result<Arc<dyn ObjectStore>> {
    let store = AmazonS3Builder::from_env().with_url(url.as_str()).build().map_err(|e| {
        Error::Usage(format!(
            "{url}: cannot set up S3 access ({e}); set AWS_REGION, AWS_ENDPOINT_URL and credentials"
        ))
    })?;
    Ok(Arc::new(store))
}

/// DataFusion's object-store registry, with the store of an `s3://` bucket made from the
/// environment the first time a plan reads from it: what a cluster's scheduler and executors,
/// which are sent plans over any bucket, read through.
#[derive(Debug, Default)]
pub struct Stores {
    known: DefaultObjectStoreRegistry,
}

impl ObjectStoreRegistry for Stores {
    fn register_store(&self, url: &Url, store: Arc<dyn ObjectStore>) -> Option<Arc<dyn ObjectStore>> {
        self.known.register_store(url, store)
    }

    fn deregister_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        self.known.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        if let Ok(store) = self.known.get_store(url) {
            return Ok(store);
        }
        if !SCHEMES.contains(&url.scheme()) {
            return self.known.get_store(url);
        }
        let store = s3_store(url).map_err(|e| DataFusionError::External(Box::new(e)))?;
        self.known.register_store(url, store.clone());
        Ok(store)
    }
}

/// Make deltalake able to open `s3://` tables (once per process): its stores come from
/// [`s3_store`], its commits from its default log store (conditional put of the next entry).
pub fn register_s3() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for scheme in SCHEMES {
            let Ok(url) = Url::parse(&format!("{scheme}://")) else { continue };
            object_store_factories().insert(url.clone(), Arc::new(S3Factory));
            logstore_factories().insert(url, Arc::new(S3LogStores));
        }
    });
}

struct S3Factory;

impl ObjectStoreFactory for S3Factory {
    fn parse_url_opts(&self, url: &Url, _config: &StorageConfig) -> DeltaResult<(ObjectStoreRef, StorePath)> {
        let store = s3_store(url).map_err(|e| DeltaTableError::Generic(e.to_string()))?;
        let path =
            StorePath::from_url_path(url.path()).map_err(|e| DeltaTableError::Generic(e.to_string()))?;
        Ok((store, path))
    }
}

struct S3LogStores;

impl LogStoreFactory for S3LogStores {
    fn with_options(
        &self,
        prefixed_store: ObjectStoreRef,
        root_store: ObjectStoreRef,
        location: &Url,
        options: &StorageConfig,
    ) -> DeltaResult<Arc<dyn LogStore>> {
        Ok(default_logstore(prefixed_store, root_store, location, options))
    }
}

/// The names of the directories right under the remote `url` (the tables of a warehouse).
pub async fn list_dirs(url: &Url) -> Result<Vec<String>> {
    let store = s3_store(url)?;
    let prefix = StorePath::from_url_path(url.path()).map_err(|e| Error::Usage(format!("{url}: {e}")))?;
    let listed = store.list_with_delimiter(Some(&prefix)).await.map_err(|e| remote_error(url, "list", e))?;
    Ok(listed.common_prefixes.iter().filter_map(|p| p.filename().map(str::to_string)).collect())
}

/// True when the remote table `url` has a Delta log.
pub async fn has_log(url: &Url) -> Result<bool> {
    let store = s3_store(url)?;
    let log = StorePath::from_url_path(format!("{}_delta_log/", url.path()))
        .map_err(|e| Error::Usage(format!("{url}: {e}")))?;
    let mut entries = store.list(Some(&log));
    Ok(entries.try_next().await.map_err(|e| remote_error(url, "read", e))?.is_some())
}

/// One message for a failed request to the store at `url`: what failed, why in a few words (not
/// the store's whole XML answer), and what to check.
pub fn remote_error(url: &Url, action: &str, e: object_store::Error) -> Error {
    let text = e.to_string();
    let bucket = url.host_str().unwrap_or_default();
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "AWS".into());
    let why = if text.contains("NoSuchBucket") {
        format!(
            "there is no bucket {bucket} at {endpoint}; create it, or check the name and AWS_ENDPOINT_URL"
        )
    } else if ["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403 Forbidden"]
        .iter()
        .any(|k| text.contains(k))
        || matches!(
            e,
            object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. }
        )
    {
        format!("access to {bucket} was refused; check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    } else if text.contains("error sending request") || text.contains("onnection refused") {
        format!("{endpoint} cannot be reached; check AWS_ENDPOINT_URL (and AWS_ALLOW_HTTP=true for http://)")
    } else {
        let short: String = text.split("<?xml").next().unwrap_or_default().chars().take(300).collect();
        format!(
            "{}; check the bucket, AWS_ENDPOINT_URL and the credentials",
            short.trim_end_matches([':', ' '])
        )
    };
    Error::Usage(format!("cannot {action} {url}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_never_local_paths() {
        assert_eq!(place(Path::new("wh")).unwrap(), Place::Local);
        assert_eq!(place(Path::new("/data/wh")).unwrap(), Place::Local);
        let Place::Remote(url) = place(Path::new("s3://bucket/wh")).unwrap() else { panic!("not remote") };
        assert_eq!(url.as_str(), "s3://bucket/wh/");
        let gs = place(Path::new("gs://bucket/wh")).unwrap_err().to_string();
        assert!(gs.contains("gs:// is not a storage chiso knows"), "{gs}");
        assert!(place(Path::new("s3:///wh")).unwrap_err().to_string().contains("no bucket"));
    }
}
