#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lakewarden::runtime::serve(integration_doctor::FUNCTION, integration_doctor::handle).await
}
