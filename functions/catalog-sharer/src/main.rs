#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lakewarden::runtime::serve(catalog_sharer::FUNCTION, catalog_sharer::invoke).await
}
