//! The protocol: prost messages written by hand, and the server and client
//! code `build.rs` generates for them. In `.proto` form it reads:
//!
//! ```proto
//! syntax = "proto3";
//! package greeter;
//!
//! service Greeter { rpc SayHello(HelloRequest) returns (HelloReply); }
//! service Admin { rpc GreetingCount(CountRequest) returns (CountReply); }
//!
//! message HelloRequest { string name = 1; }
//! message HelloReply { string message = 1; string subject = 2; }
//! message CountRequest {}
//! message CountReply { uint64 greetings = 1; string admin = 2; }
//! ```

/// The name to greet.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct HelloRequest {
    /// Whom to greet.
    #[prost(string, tag = "1")]
    pub name: String,
}

/// The greeting, and who asked for it.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct HelloReply {
    /// The greeting.
    #[prost(string, tag = "1")]
    pub message: String,
    /// The caller's verified subject (the token's `sub`).
    #[prost(string, tag = "2")]
    pub subject: String,
}

/// Asks how many greetings were sent.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct CountRequest {}

/// How many greetings were sent, and the admin who asked.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct CountReply {
    /// Greetings sent since the server started.
    #[prost(uint64, tag = "1")]
    pub greetings: u64,
    /// The caller's verified subject.
    #[prost(string, tag = "2")]
    pub admin: String,
}

/// The code tonic-build generated (`build.rs`): lints of this workspace are
/// not its author's concern.
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/greeter.Greeter.rs"));
    include!(concat!(env!("OUT_DIR"), "/greeter.Admin.rs"));
}

pub use generated::{admin_client, admin_server, greeter_client, greeter_server};
