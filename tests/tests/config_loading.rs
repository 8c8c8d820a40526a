//! The configuration document from an SSM parameter (through the real SDK) and from a file.

use lakewarden::runtime::{load_config_from, ConfigSource};
use lakewarden_tests::*;

const DOC: &str =
    "producer:\n  shares:\n    - database: cur_org\n      consumers: [\"222222222222\"]\n";

#[tokio::test]
async fn from_an_ssm_parameter() {
    let acct = fresh_account().await;
    aws_sdk_ssm::Client::new(&acct.sdk)
        .put_parameter()
        .name("/lakewarden/config")
        .value(DOC)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    let cfg = load_config_from(&acct.aws, &ConfigSource::Ssm("/lakewarden/config".into()))
        .await
        .expect("config");
    assert_eq!(cfg.producer.unwrap().shares[0].database, "cur_org");
    let missing = load_config_from(&acct.aws, &ConfigSource::Ssm("/nope".into()))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("ssm:/nope") && missing.contains("ParameterNotFound"),
        "{missing}"
    );
}

#[tokio::test]
async fn from_a_file_with_errors_named_by_key() {
    let acct = fresh_account().await;
    let dir = std::env::temp_dir().join(format!("lakewarden-cfg-{}", acct.id));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.yaml");
    std::fs::write(&good, DOC).unwrap();
    let cfg = load_config_from(&acct.aws, &ConfigSource::File(good.display().to_string()))
        .await
        .unwrap();
    assert!(cfg.producer.is_some());
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, DOC.replace("consumers", "consumer")).unwrap();
    let err = load_config_from(&acct.aws, &ConfigSource::File(bad.display().to_string()))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bad.yaml") && err.contains("producer.shares[0]") && err.contains("consumer"),
        "{err}"
    );
    // Every demo configuration is valid.
    for id in ["111111111111", "222222222222", "333333333333"] {
        let path = repo_root().join(format!("tests/demo/account-{id}.yaml"));
        load_config_from(&acct.aws, &ConfigSource::File(path.display().to_string()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}
