#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lakewarden::runtime::serve(integration_monitor::FUNCTION, integration_monitor::handle).await
}
