//! Generates the gRPC server and client code of `greeter.Greeter` and
//! `greeter.Admin` from a description in Rust, with tonic-build's `manual`
//! builder: no `.proto` file and no `protoc` on the machine. The messages are
//! hand-written prost types (`src/proto.rs`).
use tonic_build::manual::{Builder, Method, Service};

/// A unary method taking `crate::proto::{input}` and answering `crate::proto::{output}`.
fn unary(name: &str, route: &str, input: &str, output: &str) -> Method {
    Method::builder()
        .name(name)
        .route_name(route)
        .input_type(format!("crate::proto::{input}"))
        .output_type(format!("crate::proto::{output}"))
        .codec_path("tonic_prost::ProstCodec")
        .build()
}

fn main() {
    let greeter = Service::builder()
        .name("Greeter")
        .package("greeter")
        .comment("Greets any signed-in caller.")
        .method(unary("say_hello", "SayHello", "HelloRequest", "HelloReply"))
        .build();
    let admin = Service::builder()
        .name("Admin")
        .package("greeter")
        .comment("For callers with the `admin` role.")
        .method(unary(
            "greeting_count",
            "GreetingCount",
            "CountRequest",
            "CountReply",
        ))
        .build();
    // Writes `greeter.Greeter.rs` and `greeter.Admin.rs` into OUT_DIR.
    Builder::new().compile(&[greeter, admin]);
    println!("cargo:rerun-if-changed=build.rs");
}
