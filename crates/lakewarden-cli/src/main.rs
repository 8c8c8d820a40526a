//! `lakewarden`: see the library (`lakewarden_cli`) for the commands.

use std::io::Write;

#[tokio::main]
async fn main() {
    // Function logs (JSON) go to stderr, warnings and up unless RUST_LOG says otherwise.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let code = lakewarden_cli::run(std::env::args_os(), None, &mut out, &mut err).await;
    let _ = out.flush();
    std::process::exit(code);
}
