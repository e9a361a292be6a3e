//! Test doubles for pure-logic tests: a scripted HTTP client and a minimal executor.
//! Real registry behaviour is tested in tests/browser.rs against the real server.
#![allow(dead_code)] // each test file uses a different subset

pub mod memory_registry;
pub mod one_image;

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use tagdeck::oci::http::{HttpClient, Request, Response, TransportFailure};

type Handler = Box<dyn Fn(&Request) -> Result<Response, TransportFailure>>;

/// Answers every request with `handler` and remembers what was sent.
pub struct ScriptedHttp {
    handler: Handler,
    pub sent: RefCell<Vec<Request>>,
}

impl ScriptedHttp {
    pub fn new(handler: impl Fn(&Request) -> Result<Response, TransportFailure> + 'static) -> Self {
        ScriptedHttp {
            handler: Box::new(handler),
            sent: RefCell::new(Vec::new()),
        }
    }
}

impl HttpClient for &ScriptedHttp {
    async fn send(&self, request: Request) -> Result<Response, TransportFailure> {
        let answer = (self.handler)(&request);
        self.sent.borrow_mut().push(request);
        answer
    }
}

pub fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Response {
    Response {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.to_vec(),
    }
}

/// Runs a future whose I/O is scripted, so it never waits.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

/// A tag or digest as the client's manifest calls take it.
pub fn parse_reference(text: &str) -> tagdeck::oci::names::Reference {
    tagdeck::oci::names::Reference::parse(text).expect("a valid tag or digest")
}
