//! A `tursodb` sync server for the Turso tests and benchmarks.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A `tursodb --sync-server` on a free loopback port, stopped on drop.
pub struct TursoServer {
    child: Child,
    /// Its URL: `http://127.0.0.1:<port>`.
    pub url: String,
    _dir: tempfile::TempDir,
}

impl TursoServer {
    /// Starts one on a new database in a temporary folder: the binary
    /// `TURSODB` names, which `.ci/turso` installs.
    pub fn start() -> Self {
        let tursodb = std::env::var_os("TURSODB")
            .map(PathBuf::from)
            .expect("TURSODB names the tursodb binary, which .ci/turso installs into target/turso");
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = format!("127.0.0.1:{port}");
        let child = Command::new(tursodb)
            .arg("--sync-server")
            .arg(&address)
            .arg(dir.path().join("server.db"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tursodb");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&address).is_err() {
            assert!(
                Instant::now() < deadline,
                "tursodb did not listen on {address}"
            );
            thread::sleep(Duration::from_millis(20));
        }
        Self {
            child,
            url: format!("http://{address}"),
            _dir: dir,
        }
    }
}

impl Drop for TursoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
