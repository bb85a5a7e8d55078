//! The database goes away: reads are still answered from memory, `/healthz`
//! answers, `/readyz` says not ready; when the database comes back the server
//! recovers by itself, following changes again.
//!
//! The test runs its own PostgreSQL cluster (initdb on a free port) so that it
//! can stop and start a real server without disturbing anything else.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sqlx::postgres::PgPool;

mod common;
use common::{add_user, eventually, feature, fetch_json, free_port, spawn_server};

/// A throw-away PostgreSQL cluster, stopped and removed when dropped.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

impl Cluster {
    /// Runs a PostgreSQL tool, as the `postgres` user when we are root (the
    /// server refuses to run as root).
    fn run(&self, tool: &str, args: &[&str]) -> std::process::Output {
        let exe = self.bin.join(tool);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args)
            .output()
            .unwrap_or_else(|e| panic!("running {tool}: {e}"))
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn start_new() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect(
                "PostgreSQL is installed under /usr/lib/postgresql (scripts/test.sh installs it)",
            )
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("initdb").exists())
            .max()
            .expect("an initdb");
        let dir = tempfile::tempdir().expect("temp dir");
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(ok.success());
        }
        let c = Cluster {
            bin,
            dir,
            port: free_port(),
        };
        let out = c.run(
            "initdb",
            &[
                "-D",
                &c.data(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        c.start();
        c
    }

    fn start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        let out = self.run(
            "pg_ctl",
            &["-D", &self.data(), "-o", &opts, "-l", &log, "-w", "start"],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn stop(&self) {
        let out = self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if Path::new(&self.data()).join("postmaster.pid").exists() {
            let _ = self.run(
                "pg_ctl",
                &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
            );
        }
    }
}

async fn status(url: &str) -> reqwest::StatusCode {
    reqwest::get(url).await.expect("GET").status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_survive_a_database_outage_and_the_server_recovers() {
    let cluster = Cluster::start_new();
    let server = spawn_server(&cluster.url(), &[]).await;
    let base = server.base.clone();
    let adams = format!("{base}/collections/assets/items?school=201&limit=1000");
    let before = fetch_json(&adams).await;
    assert!(before["numberMatched"].as_u64().expect("n") > 0);
    assert_eq!(status(&format!("{base}/readyz")).await, 200);

    let token = add_user(&cluster.url(), "editor", "Editor");
    let client = reqwest::Client::new();
    let post = |name: &str| {
        client
            .post(format!("{base}/collections/assets/items"))
            .bearer_auth(&token)
            .header("content-type", "application/geo+json")
            .json(&feature(name))
            .send()
    };

    cluster.stop();

    // Reads come from memory, unchanged.
    let during = fetch_json(&adams).await;
    assert_eq!(during["features"], before["features"]);
    assert_eq!(
        status(&format!("{base}/collections/schools/items/201")).await,
        200
    );
    assert_eq!(status(&format!("{base}/healthz")).await, 200);
    let ready = reqwest::get(format!("{base}/readyz"))
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 503);
    assert!(ready.headers().contains_key("retry-after"));
    // Writes are refused with 503 and Retry-After, and change nothing.
    let refused = post("Written during the outage").await.expect("POST");
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(fetch_json(&adams).await["features"], before["features"]);

    cluster.start();

    // The server recovers by itself: ready again, and following changes.
    let ready_again = eventually(Duration::from_secs(20), || {
        let url = format!("{base}/readyz");
        async move { status(&url).await == 200 }
    })
    .await;
    assert!(
        ready_again.is_some(),
        "the server should become ready again"
    );
    let pool = PgPool::connect(&cluster.url()).await.expect("pool");
    sqlx::query(
        "INSERT INTO assets (id, name, category, status, created_at, updated_at, geom) \
         VALUES (gen_random_uuid(), 'Added after the outage', 'library', 'approved', now(), now(), ST_SetSRID(ST_MakePoint(-122.39, 47.673), 4326))",
    )
    .execute(&pool)
    .await
    .expect("insert");
    let seen = eventually(Duration::from_secs(20), || {
        let url = format!("{base}/collections/assets/items?q=Added%20after%20the%20outage");
        async move { fetch_json(&url).await["numberMatched"] == 1 }
    })
    .await;
    assert!(seen.is_some(), "changes after the outage reach the index");
    // Nothing of the refused write; and writes work again.
    let none = fetch_json(&format!(
        "{base}/collections/assets/items?q=Written%20during"
    ))
    .await;
    assert_eq!(none["numberMatched"], 0);
    assert_eq!(
        post("Written after the outage")
            .await
            .expect("POST")
            .status(),
        201
    );
    pool.close().await;
    drop(server);
}
