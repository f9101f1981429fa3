//! A throwaway PostgreSQL cluster of the test's own (initdb and pg_ctl in a
//! temporary directory, on a free port), so that stopping and starting the
//! database never touches the shared cluster other tests use. initdb refuses
//! to run as root, so as root the tools run as the `postgres` user.

use std::path::PathBuf;
use std::process::Command;

pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    pub port: u16,
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The newest installed server's programs (Debian's layout).
fn server_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

impl Cluster {
    /// Creates and starts the cluster, or says why it cannot.
    pub fn create() -> Result<Cluster, String> {
        let bin = server_bin().ok_or("no /usr/lib/postgresql/*/bin/initdb")?;
        let as_postgres = output(Command::new("id").arg("-u")).as_deref() == Some("0");
        if as_postgres && output(Command::new("id").args(["-u", "postgres"])).is_none() {
            return Err("running as root and there is no postgres user to run initdb as".into());
        }
        let dir = std::env::temp_dir().join(format!(
            "bothy-pg-{}-{}",
            std::process::id(),
            crate::support::random() % 1_000_000
        ));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        if as_postgres {
            output(Command::new("chown").arg("postgres:").arg(&dir))
                .ok_or("cannot give the cluster's directory to postgres")?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let cluster = Cluster {
            dir,
            bin,
            as_postgres,
            port,
        };
        let data = cluster.dir.join("data");
        // --no-sync: only initdb's own writes skip fsync; the server syncs.
        let mut init = cluster.tool("initdb");
        init.args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "-D",
        ])
        .arg(&data);
        output(&mut init).ok_or("initdb failed")?;
        cluster.start();
        Ok(cluster)
    }

    fn tool(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts and waits until it accepts connections.
    pub fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.display()
        );
        let mut c = self.tool("pg_ctl");
        c.args(["-w", "-t", "60", "-o", &options, "-l"])
            .arg(self.dir.join("log"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("start");
        assert!(
            output(&mut c).is_some(),
            "pg_ctl start failed; see {}/log",
            self.dir.display()
        );
    }

    /// Stops: `fast` (connections told and closed) or `immediate` (as a
    /// crash: recovery from the WAL at the next start).
    pub fn stop(&self, mode: &str) {
        let mut c = self.tool("pg_ctl");
        c.args(["-w", "-m", mode, "-D"])
            .arg(self.dir.join("data"))
            .arg("stop");
        assert!(output(&mut c).is_some(), "pg_ctl stop failed");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let mut c = self.tool("pg_ctl");
        c.args(["-m", "immediate", "-D"])
            .arg(self.dir.join("data"))
            .arg("stop");
        let _ = c.output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
