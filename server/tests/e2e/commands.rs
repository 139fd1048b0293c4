//! The operator's commands, run as the binary: the first administrator in one step,
//! whether the server is running or not, and never a key made as a side effect.

use crate::common::{agent, base64, free_port, fresh_database, temp_dir};
use diesel::prelude::*;
use ed25519_dalek::SigningKey;
use std::io::Write as _;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

type Pair = (String, String);

struct Setup {
    database_url: String,
    data_dir: std::path::PathBuf,
    port: u16,
}

impl Setup {
    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vitrine-server"));
        command
            .env("VITRINE_DATABASE_URL", &self.database_url)
            .env("VITRINE_DATA_DIR", &self.data_dir)
            .env("VITRINE_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("VITRINE_LOG", "warn");
        command
    }

    fn start(&self) -> Child {
        let mut child = self.command().stdout(Stdio::null()).spawn().unwrap();
        if crate::common::wait_until_sequencing(&format!("http://127.0.0.1:{}", self.port)) {
            return child;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        panic!("the server did not become ready");
    }

    /// Runs `vitrine-server ARGS` with `stdin` (and a newline) on its standard input.
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{stdin}").unwrap();
        child.wait_with_output().unwrap()
    }

    fn bootstrap(&self, key: &str, account: Option<(&str, &str)>) -> Output {
        let mut args = vec!["bootstrap-admin", "--public-key", key];
        if let Some((email, _)) = account {
            args.extend(["--email", email, "--name", "第一管理员"]);
        }
        self.run(&args, account.map_or("", |(_, p)| p))
    }

    /// Platform administrators' keys, and the accounts.
    fn keys_and_users(&self) -> (Vec<Pair>, Vec<Pair>) {
        use vitrine_server::db::schema::{participant_keys, users};
        let mut conn = PgConnection::establish(&self.database_url).unwrap();
        let keys = participant_keys::table
            .filter(participant_keys::role.eq("platform_admin"))
            .order(participant_keys::registered_idx)
            .select((participant_keys::organisation_id, participant_keys::role))
            .load(&mut conn)
            .unwrap();
        let users = users::table
            .select((users::email, users::role))
            .load(&mut conn)
            .unwrap();
        (keys, users)
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_first_administrator_is_one_step_with_the_server_up_or_down() {
    let setup = Setup {
        database_url: fresh_database(),
        data_dir: temp_dir("bootstrap"),
        port: free_port(),
    };
    let first = base64(SigningKey::from_bytes(&[41; 32]).verifying_key().as_bytes());
    let password = "correct horse battery staple";

    // Before the server ever ran here, there is no platform key: refused, nothing made.
    let refused = setup.bootstrap(&first, Some(("first@vitrine.example", password)));
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("start it once"),
        "{}",
        text(&refused)
    );
    assert!(!setup.data_dir.join("platform.key").exists());
    assert!(!setup.data_dir.join("log.key").exists());

    // The server ran once, and is down: the command logs the key and makes the account.
    let mut server = setup.start();
    server.kill().unwrap();
    server.wait().unwrap();
    // A weak password is refused before anything is logged.
    let weak = setup.bootstrap(&first, Some(("first@vitrine.example", "short")));
    assert!(!weak.status.success());
    assert_eq!(setup.keys_and_users(), (vec![], vec![]));
    let done = setup.bootstrap(&first, Some(("First@Vitrine.example", password)));
    assert!(done.status.success(), "{}", text(&done));
    assert!(text(&done).contains("no server answers"), "{}", text(&done));
    let platform_admin = ("platform".to_owned(), "platform_admin".to_owned());
    assert_eq!(
        setup.keys_and_users(),
        (
            vec![platform_admin.clone()],
            vec![(
                "first@vitrine.example".to_owned(),
                "platform_admin".to_owned()
            )]
        )
    );

    // With the server up: rerunning changes nothing; another key goes through the server,
    // which keeps serving.
    let mut server = setup.start();
    let again = setup.bootstrap(&first, Some(("first@vitrine.example", password)));
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("already"), "{}", text(&again));
    let second = base64(SigningKey::from_bytes(&[42; 32]).verifying_key().as_bytes());
    let through = setup.bootstrap(&second, None);
    assert!(through.status.success(), "{}", text(&through));
    assert!(
        !text(&through).contains("no server answers"),
        "{}",
        text(&through)
    );
    let (keys, users) = setup.keys_and_users();
    assert_eq!(keys, vec![platform_admin.clone(), platform_admin]);
    assert_eq!(users.len(), 1);
    let mut ready = agent()
        .get(&format!("http://127.0.0.1:{}/readyz", setup.port))
        .call()
        .unwrap();
    assert!(
        ready
            .body_mut()
            .read_to_string()
            .unwrap()
            .contains("\"sequencing\":true")
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn a_buyer_and_its_officers_are_registered_by_command() {
    let setup = Setup {
        database_url: fresh_database(),
        data_dir: temp_dir("buyer"),
        port: free_port(),
    };
    let mut server = setup.start();
    server.kill().unwrap();
    server.wait().unwrap();
    let run = |args: &[&str], stdin: &str| setup.run(args, stdin);
    // The officer's key, as `vitrine keygen` writes it: the .pub file holds a verifier key.
    let officer = SigningKey::from_bytes(&[43; 32]);
    let verifier = vitrine_ledger::note::NoteVerifier::new(
        "officer",
        vitrine_ledger::note::KeyType::Ed25519,
        officer.verifying_key(),
    )
    .unwrap()
    .to_verifier_key();
    let pub_file = setup.data_dir.join("officer.key.pub");
    std::fs::write(&pub_file, format!("{verifier}\n")).unwrap();
    let pub_file = pub_file.display().to_string();

    // A key of an organisation not on the log is refused, and says why.
    let refused = run(
        &[
            "register-key",
            "--organisation",
            "fz-czj",
            "--public-key",
            &pub_file,
            "--role",
            "procurement_officer",
        ],
        "",
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("not registered"),
        "{}",
        text(&refused)
    );

    // The server is down: each command starts the log for the moment it takes.
    for (args, stdin) in [
        (
            vec![
                "register-organisation",
                "--id",
                "fz-czj",
                "--name",
                "福州市财政局",
                "--kind",
                "buyer",
            ],
            "",
        ),
        (
            vec![
                "register-key",
                "--organisation",
                "fz-czj",
                "--public-key",
                &pub_file,
                "--role",
                "procurement_officer",
            ],
            "",
        ),
        (
            vec![
                "create-user",
                "--organisation",
                "fz-czj",
                "--email",
                "officer@fz.example",
                "--role",
                "procurement_officer",
                "--name",
                "林采购",
            ],
            "correct horse battery staple",
        ),
    ] {
        let output = run(&args, stdin);
        assert!(output.status.success(), "{args:?}: {}", text(&output));
    }
    let server = setup.start();
    let mut answer = agent()
        .get(&format!(
            "http://127.0.0.1:{}/api/v1/organisations/fz-czj",
            setup.port
        ))
        .call()
        .unwrap();
    let organisation: serde_json::Value =
        serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(organisation["kind"], "buyer");
    assert_eq!(organisation["name"], "福州市财政局");
    assert_eq!(organisation["keys"][0]["role"], "procurement_officer");
    assert_eq!(
        organisation["keys"][0]["public_key"],
        base64(officer.verifying_key().as_bytes())
    );
    let mut server = server;
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn a_standby_server_stops_when_told_and_commands_find_the_server_elsewhere() {
    let setup = Setup {
        database_url: fresh_database(),
        data_dir: temp_dir("standby"),
        port: free_port(),
    };
    let mut sequencing = setup.start();
    // A second server on the same database waits for the sequencer's lock.
    let standby_port = free_port();
    let mut standby = setup
        .command()
        .env("VITRINE_LISTEN", format!("127.0.0.1:{standby_port}"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{standby_port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while agent().get(&format!("{base}/readyz")).call().is_err() {
        assert!(Instant::now() < deadline, "the standby never answered");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Told to stop (Ctrl-C), it stops, though it never got the lock.
    let interrupted = Command::new("kill")
        .args(["-INT", &standby.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = standby.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        if Instant::now() > deadline {
            standby.kill().unwrap();
            standby.wait().unwrap();
            panic!("the standby server ignored SIGINT");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // A command pointed at an address where nothing listens, while another process
    // sequences: it says so, and stops, rather than wait forever.
    let key = base64(SigningKey::from_bytes(&[44; 32]).verifying_key().as_bytes());
    let mut command = setup.command();
    command
        .env("VITRINE_LISTEN", format!("127.0.0.1:{}", free_port()))
        .args(["bootstrap-admin", "--public-key", &key]);
    let started = Instant::now();
    let output = command.output().unwrap();
    assert!(!output.status.success());
    assert!(
        text(&output).contains("another process sequences this log"),
        "{}",
        text(&output)
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    sequencing.kill().unwrap();
    sequencing.wait().unwrap();
}
