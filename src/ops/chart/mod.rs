//! Charts of query results: the axes and series chosen from the result's column types
//! ([`spec`]), labels in the Vietnamese or international number convention ([`labels`]), and
//! drawing with plotters to SVG or PNG ([`draw`]).
pub mod draw;
pub mod labels;
pub mod spec;

use std::path::Path;

pub use labels::{Locale, Mark};
pub use spec::{resolve, Chart, ChartRequest, Kind, Series, XAxis};

use crate::error::{Error, Result};
use crate::storage::files::{write_file, NewFile};

/// The picture formats a chart can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    /// Scalable vector graphics (text stays text).
    Svg,
    /// A bitmap.
    Png,
}

impl Picture {
    /// The format named by a file's extension.
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("svg") => Ok(Picture::Svg),
            Some("png") => Ok(Picture::Png),
            _ => Err(Error::setting(
                "out",
                path.display(),
                "a chart is written as .svg or .png; give the file one of these extensions",
            )),
        }
    }
}

/// Draw `chart` into `path` (SVG or PNG by its extension), replacing it atomically.
pub fn write(chart: &Chart, path: &Path) -> Result<()> {
    match Picture::from_path(path)? {
        Picture::Svg => write_file(path, draw::svg(chart)?.as_bytes()),
        Picture::Png => {
            // plotters writes PNGs to a path: draw into the temporary file, then publish it.
            let new = NewFile::create(path)?;
            draw::png(chart, new.path())?;
            new.publish()
        }
    }
}
