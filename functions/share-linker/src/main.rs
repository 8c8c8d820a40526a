#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lakewarden::runtime::serve(share_linker::FUNCTION, share_linker::handle).await
}
