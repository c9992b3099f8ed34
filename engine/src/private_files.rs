//! The data folder is this user's alone: a personal knowledge base, its
//! cache, the copies of the legacy stores and the logs must not be readable
//! by another account on the same Mac. Folders are created 0700 and files
//! 0600, and a folder created by an older version (0755/0644) is tightened
//! when the cache opens. On systems without Unix permissions these are plain
//! creates.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Mode of every folder the engine creates.
#[cfg(unix)]
const DIR_MODE: u32 = 0o700;
/// Mode of every file the engine creates.
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;

/// Creates `dir` and its missing parents; `dir` itself ends 0700 (parents
/// such as `~/Library/Application Support` are not ours to change).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    set_mode(dir, true)
}

/// Creates `path` empty if it does not exist, 0600, so that a database
/// opened there next (SQLite gives its -wal and -shm files the database
/// file's mode) starts private; an existing file is tightened by path only.
///
/// An existing file is never opened here: closing any descriptor of a file
/// drops every POSIX lock this process holds on it, so opening the cache
/// file beside SQLite's own connections (the app opens several) would
/// silently release their locks.
pub fn create_file(path: &Path) -> io::Result<()> {
    if path.exists() {
        return set_mode(path, false);
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    match options.open(path) {
        Ok(_) => set_mode(path, false),
        // Created meanwhile by another connection: only tighten it.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => set_mode(path, false),
        Err(e) => Err(e),
    }
}

/// Opens `path` for appending (a log), created 0600.
pub fn open_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options.open(path)
}

/// Makes a data folder private: the folder, the cache's files and the
/// subfolders the engine and the app keep there (`subfolders`, whole). Other
/// entries are left alone: `--data-dir` may name a folder that also holds
/// the user's own files.
pub fn tighten_data_folder(dir: &Path, cache_file: &str, subfolders: &[&str]) -> io::Result<()> {
    set_mode(dir, true)?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let (name, kind) = (entry.file_name(), entry.file_type()?);
        let name = name.to_string_lossy();
        if kind.is_file() && name.starts_with(cache_file) {
            set_mode(&entry.path(), false)?;
        } else if kind.is_dir() && subfolders.contains(&name.as_ref()) {
            tighten_tree(&entry.path())?;
        }
    }
    Ok(())
}

/// Makes `dir` and everything under it private: folders 0700, files 0600.
/// Symbolic links are left alone (their targets are not ours).
pub fn tighten_tree(dir: &Path) -> io::Result<()> {
    set_mode(dir, true)?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            tighten_tree(&entry.path())?;
        } else if kind.is_file() {
            set_mode(&entry.path(), false)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, is_dir: bool) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let want = if is_dir { DIR_MODE } else { FILE_MODE };
    let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if current != want {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(want))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _is_dir: bool) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_old_world_readable_folder_is_tightened_whole() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("Noesis");
        std::fs::create_dir_all(data.join("logs")).unwrap();
        std::fs::write(data.join("cache.sqlite3"), b"x").unwrap();
        std::fs::write(data.join("logs/noesis.log"), b"x").unwrap();
        for p in [&data, &data.join("logs")] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::write(data.join("notes.txt"), b"the user's own").unwrap();
        std::fs::set_permissions(data.join("notes.txt"), std::fs::Permissions::from_mode(0o644)).unwrap();
        tighten_data_folder(&data, "cache.sqlite3", &["logs"]).unwrap();
        assert_eq!((mode(&data), mode(&data.join("logs"))), (0o700, 0o700));
        assert_eq!((mode(&data.join("cache.sqlite3")), mode(&data.join("logs/noesis.log"))), (0o600, 0o600));
        assert_eq!(mode(&data.join("notes.txt")), 0o644, "a file that is not the engine's is left alone");
    }

    #[test]
    fn new_folders_and_files_are_private() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        create_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        create_file(&dir.join("f")).unwrap();
        open_append(&dir.join("g")).unwrap();
        assert_eq!((mode(&dir.join("f")), mode(&dir.join("g"))), (0o600, 0o600));
    }
}
