#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lakewarden::runtime::serve(datazone_subscriber::FUNCTION, datazone_subscriber::handle).await
}
