//! A throwaway PostgreSQL cluster with PostGIS for the tests: initdb into a temporary folder, the
//! installed server on a free port, one database per test. It serves TLS with a certificate from a
//! CA of its own, and the URLs it hands out name that CA: the tests talk to it as to a database
//! across a network. Nothing needs to run beforehand; the
//! server dies with the test process (its parent-death signal), and the folders of clusters whose
//! process is gone are removed when the next one starts.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The superuser the cluster is made with; the server connects as [`APP_ROLE`] instead.
const ADMIN: &str = "admin";
/// An ordinary role, as a ward's database would give sasaeai: row-level security applies to it.
pub const APP_ROLE: &str = "sasaeai";
const FOLDER_PREFIX: &str = "sasaeai-pg-";

pub struct Cluster {
    port: u16,
    /// The CA that signed the server's certificate (PEM).
    ca: PathBuf,
}

static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// The installed PostgreSQL's programs, from Debian's postgresql package.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> =
        std::fs::read_dir("/usr/lib/postgresql").ok()?.flatten().map(|e| e.path()).collect();
    versions.sort();
    versions.into_iter().rev().map(|v| v.join("bin")).find(|b| b.join("initdb").exists())
}

/// The cluster of this test process, started on first use. Without PostgreSQL and PostGIS
/// installed, fails under CI and skips elsewhere (`None`).
pub fn cluster() -> Option<&'static Cluster> {
    CLUSTER.get_or_init(|| {
        let Some(bin) = bin_dir().filter(|_| has_postgis()) else {
            assert!(std::env::var_os("CI").is_none(), "PostgreSQL with PostGIS is missing; install Debian's postgresql and postgresql-15-postgis-3");
            eprintln!("SKIPPED: PostgreSQL with PostGIS is not installed");
            return None;
        };
        Some(Cluster::start(&bin))
    })
    .as_ref()
}

fn has_postgis() -> bool {
    std::fs::read_dir("/usr/share/postgresql")
        .map(|dirs| dirs.flatten().any(|d| d.path().join("extension/postgis.control").exists()))
        .unwrap_or(false)
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
}

/// `program` run as the postgres user when the tests run as root (the server refuses root).
fn as_server_user(program: &Path) -> Command {
    let mut cmd = Command::new("setpriv");
    if is_root() {
        cmd.args(["--reuid", "postgres", "--regid", "postgres", "--init-groups"]);
    }
    cmd.arg("--pdeathsig").arg("INT").arg(program);
    cmd
}

fn remove_abandoned_folders() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(FOLDER_PREFIX) else { continue };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Cluster {
    fn start(bin: &Path) -> Cluster {
        remove_abandoned_folders();
        let dir = std::env::temp_dir().join(format!("{FOLDER_PREFIX}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        if is_root() {
            let status = Command::new("chown").arg("postgres:postgres").arg(&dir).status().unwrap();
            assert!(status.success(), "chown of the cluster folder failed");
        }
        let data = dir.join("data");
        let out = as_server_user(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", ADMIN, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"])
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        let ca = certificates(&dir);
        let port = free_port();
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        // The server is started from a thread that lives as long as the process: the parent-death
        // signal follows the thread that spawned it.
        let (started, wait) = std::sync::mpsc::channel();
        let bin = bin.to_path_buf();
        let socket_dir = dir.clone();
        std::thread::spawn(move || {
            let child = as_server_user(&bin.join("postgres"))
                .arg("-D")
                .arg(&data)
                .arg("-p")
                .arg(port.to_string())
                .arg("-k")
                .arg(&socket_dir)
                .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"])
                .args(["-c", "ssl=on", "-c", "ssl_cert_file=server.crt", "-c", "ssl_key_file=server.key"])
                .stdout(Stdio::null())
                .stderr(log)
                .spawn();
            started.send(child.map(drop).map_err(|e| e.to_string())).unwrap();
            loop {
                std::thread::park();
            }
        });
        wait.recv().unwrap().expect("starting postgres");
        let cluster = Cluster { port, ca };
        cluster.wait_ready(&dir);
        let mut admin = cluster.admin("postgres");
        admin.batch_execute(&format!("CREATE ROLE {APP_ROLE} LOGIN")).unwrap();
        cluster
    }

    fn wait_ready(&self, dir: &Path) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if postgres::Client::connect(&self.url_as(ADMIN, "postgres"), postgres::NoTls).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
        panic!("the test cluster did not start:\n{log}");
    }

    fn url_as(&self, user: &str, database: &str) -> String {
        format!("postgres://{user}@127.0.0.1:{}/{database}", self.port)
    }

    /// The CA file that verifies the server's certificate.
    pub fn ca_file(&self) -> &Path {
        &self.ca
    }

    /// A connection without TLS to the database at `url` (one of [`Self::database`]) as its own
    /// user, for checks in plain SQL.
    pub fn plain(&self, url: &str) -> postgres::Client {
        let url = url.split('?').next().unwrap();
        postgres::Client::connect(url, postgres::NoTls).unwrap()
    }

    /// A superuser connection to `database`.
    pub fn admin(&self, database: &str) -> postgres::Client {
        postgres::Client::connect(&self.url_as(ADMIN, database), postgres::NoTls).unwrap()
    }

    /// A new empty database with PostGIS, owned by [`APP_ROLE`]; its URL as the server uses it
    /// (TLS required, verified against the cluster's CA).
    pub fn database(&self) -> String {
        let name = format!("t{}_{}", std::process::id(), DATABASES.fetch_add(1, Ordering::Relaxed));
        self.admin("postgres").batch_execute(&format!("CREATE DATABASE {name} OWNER {APP_ROLE}")).unwrap();
        self.admin(&name).batch_execute("CREATE EXTENSION postgis").unwrap();
        format!("{}?sslmode=require&sslrootcert={}", self.url_as(APP_ROLE, &name), self.ca.display())
    }
}

/// A CA and a server certificate for 127.0.0.1 signed by it, written into the cluster's data folder
/// (readable by the server's user only, as PostgreSQL demands of its key); the CA's file.
fn certificates(dir: &Path) -> PathBuf {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "sasaeai test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let server = params.signed_by(&key, &Issuer::new(ca_params, ca_key)).unwrap();
    let data = dir.join("data");
    for (name, pem) in [("server.crt", server.pem()), ("server.key", key.serialize_pem())] {
        let path = data.join(name);
        std::fs::write(&path, pem).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        if is_root() {
            assert!(Command::new("chown").arg("postgres:postgres").arg(&path).status().unwrap().success());
        }
    }
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    ca_file
}
