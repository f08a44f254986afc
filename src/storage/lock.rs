//! The warehouse write lock: one writer at a time. An OS file lock on `WAREHOUSE/.chiso.lock`
//! (std's `File::try_lock`), so a writer that dies, even by `kill -9`, releases it at once.
use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Name of the lock file in a warehouse directory.
pub const LOCK_FILE: &str = ".chiso.lock";

/// The held write lock of one warehouse; released when dropped.
#[derive(Debug)]
pub struct WriteLock {
    _file: File,
}

impl WriteLock {
    /// Take the write lock of warehouse `dir`, waiting at most `wait` for another writer to finish.
    pub fn acquire(dir: &Path, wait: Duration) -> Result<Self> {
        let path = dir.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, "open the lock file", e))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self { _file: file }),
                Err(TryLockError::WouldBlock) if started.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(Error::Busy { warehouse: dir.to_path_buf(), lock: path });
                }
                Err(TryLockError::Error(e)) => return Err(Error::io(&path, "lock", e)),
            }
        }
    }
}
