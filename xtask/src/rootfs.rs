//! `cargo xtask rootfs`: a Debian userland as Tine's initramfs, booted by
//! `cargo xtask run --rootfs debian` and by the session tests that say
//! `rootfs debian`.
//!
//! mmdebstrap (installed with apt-get when missing) builds the tree from
//! Debian's packages into a tarball: Debian's Essential:yes set (its
//! `essential` variant: minbase without apt, which has no network to use
//! under Tine), /usr merged by mmdebstrap's own hook (not the `usrmerge`
//! package, which brings the whole of Perl), plus [`PACKAGES`], without
//! manual pages, documentation (the copyright files stay), translations
//! and info files. The tarball becomes a cpio "newc" archive cached in
//! `target/rootfs/debian/` with the recipe it was made from, and is made
//! again only when the recipe (suite, packages, exclusions) changes.
//!
//! What Tine adds goes in a second, small archive written at every boot
//! after the cached one (the kernel unpacks archives one after another, as
//! Linux does): `/init` (user/init, which starts `$SHELL`, here bash, as a
//! login shell), the demos in /usr/local/bin, `/tine/envp` (init's
//! environment: Debian's PATH, HOME=/root, SHELL=/bin/bash) and
//! /etc/hostname.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::build;
use crate::initramfs::Initramfs;
use crate::{Result, TempDir};

/// The Debian release the tree comes from.
pub const SUITE: &str = "bookworm";
const MIRROR: &str = "http://deb.debian.org/debian";
/// mmdebstrap's variant: the Essential:yes packages and what they need.
const VARIANT: &str = "essential";
/// What the acceptance runs on the console, besides the essential set
/// (which has bash and coreutils already).
pub const PACKAGES: [&str; 8] = ["bash", "coreutils", "procps", "psmisc", "strace", "gdb", "python3-minimal", "less"];
/// dpkg's path filters: what nobody reads on Tine's console.
const DPKG_FILTERS: [&str; 5] = [
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/locale/*",
    "path-exclude=/usr/share/info/*",
];

/// The environment of /init (and so of the login shell) on Debian.
pub const DEBIAN_ENV: [(&str, &str); 4] = [
    ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
    ("HOME", "/root"),
    ("TERM", "linux"),
    ("SHELL", "/bin/bash"),
];

/// `cargo xtask rootfs`.
#[derive(clap::Args)]
pub struct Args {
    /// Build the tree again even if the cached one matches the recipe
    #[arg(long)]
    rebuild: bool,
    /// Also write the whole initramfs `run --rootfs debian` boots (the
    /// Debian tree and Tine's /init, demos and environment) to OUT
    #[arg(long, value_name = "OUT")]
    out: Option<PathBuf>,
}

pub const AFTER_HELP: &str = "\
The tree: Debian bookworm's essential packages plus bash, coreutils,
procps, psmisc, strace, gdb, python3-minimal and less, without manual
pages, documentation and translations, built with mmdebstrap (installed
with apt-get when missing; it downloads the packages from Debian's
mirror, about a minute and a half). Cached in target/rootfs/debian/ and
made again only when that list changes (or with --rebuild).

`cargo xtask run --rootfs debian` boots it; see README.md.";

/// The root file systems `run --rootfs` and the session tests know.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Rootfs {
    /// Debian's packages (`cargo xtask rootfs`)
    Debian,
}

/// The mmdebstrap arguments before the suite and target: what the cache
/// is keyed on.
fn recipe() -> Vec<String> {
    let mut a = vec![
        format!("--variant={VARIANT}"),
        "--format=tar".into(),
        "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr".into(),
    ];
    a.push(format!("--include={}", PACKAGES.join(",")));
    a.extend(DPKG_FILTERS.iter().map(|f| format!("--dpkgopt={f}")));
    a
}

fn cache_dir() -> PathBuf {
    crate::root().join("target/rootfs/debian")
}

/// The text the cached archive was made from: it is used while this stays
/// the same.
fn recipe_text() -> String {
    // The second line changes with the packing: an archive packed before
    // owners were kept is made again.
    format!("mmdebstrap {} {SUITE} OUT {MIRROR}\npacked with owners\n", recipe().join(" "))
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / (1 << 20) as f64)
}

/// The cached Debian archive, made first if it is missing or was made
/// from another recipe (or `rebuild`).
pub fn debian_archive(rebuild: bool) -> Result<PathBuf> {
    let dir = cache_dir();
    let (cpio, stamp) = (dir.join("debian.cpio"), dir.join("recipe"));
    let wanted = recipe_text();
    if !rebuild && cpio.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        return Ok(cpio);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&stamp);
    if !build::on_path("mmdebstrap") {
        build::apt_install("mmdebstrap (it builds the Debian userland)", &["mmdebstrap"])?;
    }
    let tar = dir.join("debian.part.tar");
    eprintln!(
        "xtask: downloading packages with mmdebstrap (Debian {SUITE}, {VARIANT} + {}); about a minute and a half",
        PACKAGES.join(" ")
    );
    let start = Instant::now();
    let status = Command::new("mmdebstrap")
        .args(recipe())
        .arg(SUITE)
        .arg(&tar)
        .arg(MIRROR)
        .stdin(Stdio::null())
        .stdout(crate::stderr_stdio())
        .status()
        .map_err(|e| format!("mmdebstrap: {e}"))?;
    if !status.success() {
        let _ = std::fs::remove_file(&tar);
        return Err(format!("mmdebstrap failed ({status}); its messages are above"));
    }
    eprintln!("xtask: mmdebstrap done in {:.0} s; packing the tree as a cpio archive", start.elapsed().as_secs_f64());
    let (fs, stats) = tar_to_initramfs(&tar)?;
    let bytes = fs.to_bytes();
    let part = dir.join("debian.cpio.part");
    std::fs::write(&part, &bytes).map_err(|e| format!("{}: {e}", part.display()))?;
    std::fs::rename(&part, &cpio).map_err(|e| format!("{}: {e}", cpio.display()))?;
    let _ = std::fs::remove_file(&tar);
    std::fs::write(&stamp, wanted).map_err(|e| format!("{}: {e}", stamp.display()))?;
    eprintln!(
        "xtask: {}: {} in {} entries ({} device nodes left out: Tine makes /dev's)",
        shown(&cpio),
        mib(bytes.len() as u64),
        stats.entries,
        stats.devices
    );
    Ok(cpio)
}

fn shown(p: &Path) -> String {
    p.strip_prefix(crate::root()).unwrap_or(p).display().to_string()
}

#[derive(Default)]
struct TarStats {
    entries: usize,
    devices: usize,
}

/// The tarball's tree as an initramfs: directories, files (a hard link
/// gets a copy of its target's bytes), symbolic links; device nodes and
/// FIFOs are left out (Tine makes /dev's nodes itself). Modes (set-id
/// and sticky bits too) and owners are kept: /usr/bin/chage is root's
/// and group shadow's, mode 2755, as in Debian.
fn tar_to_initramfs(tar: &Path) -> Result<(Initramfs, TarStats)> {
    let file = std::fs::File::open(tar).map_err(|e| format!("{}: {e}", tar.display()))?;
    let mut archive = tar::Archive::new(std::io::BufReader::new(file));
    let mut fs = Initramfs::new();
    let mut stats = TarStats::default();
    let err = |e: std::io::Error| format!("{}: {e}", tar.display());
    for entry in archive.entries().map_err(err)? {
        let mut entry = entry.map_err(err)?;
        let path = entry.path().map_err(err)?.to_string_lossy().into_owned();
        let Ok(guest) = crate::initramfs::normalize(&path) else { continue }; // "./"
        let header = entry.header();
        let mode = header.mode().map_err(err)?;
        let mtime = header.mtime().map_err(err)?.min(u32::MAX as u64) as u32;
        let kind = header.entry_type();
        let owner = (header.uid().map_err(err)? as u32, header.gid().map_err(err)? as u32);
        match kind {
            tar::EntryType::Directory => fs.dir(&guest, mode)?,
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mut bytes = Vec::with_capacity(entry.size() as usize);
                entry.read_to_end(&mut bytes).map_err(err)?;
                fs.file_with_mtime(&guest, mode, mtime, bytes)?;
            }
            tar::EntryType::Link => {
                let target = entry.link_name().map_err(err)?.ok_or_else(|| format!("{path}: a link without target"))?;
                let target = crate::initramfs::normalize(&target.to_string_lossy())?;
                let (mode, mtime, bytes) = fs
                    .file_entry(&target)
                    .ok_or_else(|| format!("{path}: a hard link to {target}, not a file before it"))?;
                let bytes = bytes.to_vec();
                fs.file_with_mtime(&guest, mode, mtime, bytes)?;
            }
            tar::EntryType::Symlink => {
                let target = entry.link_name().map_err(err)?.ok_or_else(|| format!("{path}: a link without target"))?;
                fs.symlink(&guest, target.to_string_lossy().as_bytes().to_vec())?;
            }
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                stats.devices += 1;
                continue;
            }
            // pax and GNU long-name headers are consumed by the tar crate.
            _ => continue,
        }
        fs.chown(&guest, owner.0, owner.1)?;
        stats.entries += 1;
    }
    Ok((fs, stats))
}

/// Tine's part of a Debian boot: /init, the demos in /usr/local/bin, the
/// `--add` files, init's environment and the host name. Nothing under
/// /bin, /sbin or /lib*: they are symbolic links into /usr in Debian's
/// tree, which a directory entry of this archive would replace.
fn tine_overlay(adds: &[(PathBuf, String)]) -> Result<Initramfs> {
    let mut fs = Initramfs::new();
    fs.add_host(&build::init_program()?, "/init")?;
    for p in build::user_programs()?.into_iter().filter(|p| !p.is_test) {
        fs.add_host(&p.binary, &format!("/usr/local/bin/{}", p.name))?;
    }
    for (host, guest) in adds {
        let first = crate::initramfs::normalize(guest)?;
        let first = first.split('/').next().unwrap_or_default();
        if ["bin", "sbin", "lib", "lib32", "lib64", "libx32"].contains(&first) {
            return Err(format!(
                "--add {}:{guest}: /{first} is a symbolic link into /usr in Debian's tree; use /usr/{first}/...",
                host.display()
            ));
        }
        fs.add_host(host, guest)?;
    }
    let mut envp = Vec::new();
    for (k, v) in DEBIAN_ENV {
        envp.extend_from_slice(format!("{k}={v}\0").as_bytes());
    }
    fs.file("/tine/envp", 0o644, envp)?;
    fs.file("/etc/hostname", 0o644, b"tine\n".to_vec())?;
    Ok(fs)
}

/// Writes the initramfs of a `--rootfs` boot into `dir`: the cached tree
/// (built first if needed), then Tine's part. Returns its path.
pub fn write_initramfs(which: Rootfs, adds: &[(PathBuf, String)], dir: &TempDir) -> Result<PathBuf> {
    let Rootfs::Debian = which;
    let base = debian_archive(false)?;
    let out = dir.path().join("initramfs.cpio");
    write_concatenated(&base, &tine_overlay(adds)?, &out)?;
    Ok(out)
}

/// `base` followed by `overlay`'s archive, in `out`.
fn write_concatenated(base: &Path, overlay: &Initramfs, out: &Path) -> Result<()> {
    std::fs::copy(base, out).map_err(|e| format!("{} -> {}: {e}", base.display(), out.display()))?;
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(out).map_err(|e| format!("{}: {e}", out.display()))?;
    f.write_all(&overlay.to_bytes()).map_err(|e| format!("{}: {e}", out.display()))
}

/// `cargo xtask rootfs [--rebuild] [--out OUT]`.
pub fn main(a: Args) -> Result<i32> {
    let cpio = debian_archive(a.rebuild)?;
    let size = std::fs::metadata(&cpio).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "xtask: Debian {SUITE} userland: {} ({}); `cargo xtask run --rootfs debian` boots it",
        shown(&cpio),
        mib(size)
    );
    if let Some(out) = a.out {
        build::ensure_host_tools()?;
        write_concatenated(&cpio, &tine_overlay(&[])?, &out)?;
        eprintln!("xtask: wrote {} (the Debian tree, then Tine's /init, demos and environment)", out.display());
    }
    Ok(0)
}
