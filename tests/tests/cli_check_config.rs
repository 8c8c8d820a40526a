//! `lakewarden check-config FILE`: the functions' own validation, each problem with its key
//! path and line; exit 0 / 2. No AWS involved.

use lakewarden_tests::repo_root;

async fn cli(args: &[&str]) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut argv = vec!["lakewarden"];
    argv.extend_from_slice(args);
    // No SdkConfig: check-config must not need one.
    let code = lakewarden_cli::run(argv, None, &mut out, &mut err).await;
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn write_file(name: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(format!("lakewarden-check-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn the_demo_configurations_are_valid() {
    let dir = repo_root().join("tests/demo");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.starts_with("account-") && name.ends_with(".yaml")) {
            continue;
        }
        let (code, out, err) = cli(&["check-config", path.to_str().unwrap()]).await;
        assert_eq!(code, 0, "{name}: {out}{err}");
        assert!(out.contains(": ok"), "{out}");
        n += 1;
    }
    assert!(n > 0, "no demo configuration found in {}", dir.display());
}

#[tokio::test]
async fn every_problem_names_its_key_path_and_line() {
    let f = write_file(
        "bad.yaml",
        "alerts: { topic_arn: nope }\nproducer:\n  shares:\n    - database: cur_org\n      consumers:\n        - \"222222222222\"\n        - \"2222\"\n      table_permissions: [SELECT, READ]\n",
    );
    let (code, out, err) = cli(&["check-config", &f]).await;
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(&format!("{f}:1: alerts.topic_arn:")), "{err}");
    assert!(
        err.contains(&format!("{f}:7: producer.shares[0].consumers[1]:")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{f}:8: producer.shares[0].table_permissions[1]:"))
            && err.contains("READ"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unknown_key_and_a_yaml_error_get_their_lines() {
    let f = write_file(
        "typo.yaml",
        "consumer:\n  trusted_producers: [\"111111111111\"]\n  links:\n    - producer: \"111111111111\"\n      database: cur_org\n      rolse: []\n",
    );
    let (code, _, err) = cli(&["check-config", &f]).await;
    assert_eq!(code, 2);
    assert!(err.contains(&format!("{f}:6: consumer.links[0]")), "{err}");
    assert!(err.contains("rolse"), "{err}");
    let g = write_file("syntax.yaml", "producer:\n  shares: [\n");
    let (code, _, err) = cli(&["check-config", &g]).await;
    assert_eq!(code, 2);
    assert!(err.contains(&format!("{g}:")), "{err}");
    let j = write_file(
        "bad.json",
        "{\n  \"consumer\": {\n    \"trusted_producers\": [\"1\"]\n  }\n}\n",
    );
    let (code, _, err) = cli(&["check-config", &j]).await;
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("{j}:3: consumer.trusted_producers[0]")),
        "{err}"
    );
}

#[tokio::test]
async fn usage_errors_exit_2_and_help_exits_0() {
    let (code, _, err) = cli(&[]).await;
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = cli(&["check-config", "/nonexistent/lakewarden.yaml"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("cannot read file"), "{err}");
    let (code, out, _) = cli(&["--help"]).await;
    assert_eq!(code, 0);
    for c in ["check-config", "plan", "explain"] {
        assert!(out.contains(c), "{out}");
    }
    let (code, _, err) = cli(&["explain", "--principal", "x"]).await;
    assert_eq!(code, 2, "{err}");
}
