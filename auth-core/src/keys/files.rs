//! File operations for key folders: whole-file atomic writes, private file
//! modes, bounded reads into zeroizing buffers.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::KeyError;

/// Larger than any key file this crate writes (RSA-8192 PKCS#8 is under 7 KiB).
pub(crate) const MAX_FILE_LEN: u64 = 64 * 1024;

/// Reads a file of at most [`MAX_FILE_LEN`] bytes into a zeroizing buffer;
/// `None` if it does not exist.
pub(crate) fn read_small(path: &Path) -> Result<Option<Zeroizing<String>>, KeyError> {
    let failed = |e: io::Error| KeyError::File {
        path: path.to_owned(),
        source: e,
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(failed(e)),
    };
    // Sized up front so that the secret text is never reallocated (and copied).
    let mut text = Zeroizing::new(String::with_capacity(MAX_FILE_LEN as usize + 1));
    file.take(MAX_FILE_LEN + 1)
        .read_to_string(&mut text)
        .map_err(failed)?;
    if text.len() as u64 > MAX_FILE_LEN {
        return Err(failed(io::Error::new(
            io::ErrorKind::InvalidData,
            "larger than any key file",
        )));
    }
    Ok(Some(text))
}

/// Writes `bytes` to `dir/name` so that readers see the old file or the whole new one.
pub(crate) fn write_atomically(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    secret: bool,
) -> Result<(), KeyError> {
    let temp = write_temp(dir, bytes, secret)?;
    let path = dir.join(name);
    fs::rename(&temp, &path).map_err(|e| {
        // Best effort: a leftover temporary file is hidden and ignored anyway.
        let _ = fs::remove_file(&temp);
        KeyError::File { path, source: e }
    })
}

/// A new hidden file in `dir` holding `bytes`, flushed to disk; mode 0600 on
/// unix when it holds a secret.
pub(crate) fn write_temp(dir: &Path, bytes: &[u8], secret: bool) -> Result<PathBuf, KeyError> {
    let path = dir.join(format!(".tmp-{}", crate::random::base64_bytes::<12>()?));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let written = options.open(&path).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    match written {
        Ok(()) => Ok(path),
        Err(e) => {
            let _ = fs::remove_file(&path);
            Err(KeyError::File { path, source: e })
        }
    }
}

/// Creates `dir` and its parents, readable by the owner only on unix.
pub(crate) fn create_folder(dir: &Path) -> Result<(), KeyError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| KeyError::File {
        path: dir.to_owned(),
        source: e,
    })
}

pub(crate) fn remove_if_present(path: &Path) -> Result<(), KeyError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(KeyError::File {
            path: path.to_owned(),
            source: e,
        }),
    }
}

/// Makes renames and links in `dir` durable (unix; elsewhere a no-op).
pub(crate) fn sync_folder(dir: &Path) -> Result<(), KeyError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|folder| folder.sync_all())
        .map_err(|e| KeyError::File {
            path: dir.to_owned(),
            source: e,
        })?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// An [`KeyError::File`] for a problem with the contents or name of `path`.
pub(crate) fn file_error(
    path: &Path,
    kind: io::ErrorKind,
    reason: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> KeyError {
    KeyError::File {
        path: path.to_owned(),
        source: io::Error::new(kind, reason),
    }
}
