#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lakewarden::runtime::serve(table_exporter::FUNCTION, table_exporter::handle).await
}
