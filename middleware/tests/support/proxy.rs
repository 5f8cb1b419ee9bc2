//! A TCP proxy for fault tests: it forwards loopback connections to a target, remembers what
//! each client sent first, and can black-hole, delay or reset the connections that match.
//!
//! Declared by the test files that need it (`#[path = "support/proxy.rs"] mod proxy;`).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};

/// How much of what a client sent is kept for matching.
const KEPT_BYTES: usize = 4096;

/// What the proxy does with one connection's traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Pass everything on.
    Forward,
    /// Keep both sockets open, read and discard everything (end of stream included).
    BlackHole,
    /// Hold every chunk this long before passing it on.
    Delay(Duration),
    /// Close both sockets with a reset (RST).
    Reset,
}

/// One accepted connection.
#[derive(Debug)]
struct Connection {
    /// The first [`KEPT_BYTES`] the client sent.
    client_bytes: Mutex<Vec<u8>>,
    mode: watch::Sender<Mode>,
    tasks: Mutex<Vec<AbortHandle>>,
}

#[derive(Debug, Default)]
struct Shared {
    connections: Mutex<Vec<Arc<Connection>>>,
}

/// A proxy on a free loopback port; stops (and drops its connections) when dropped.
#[derive(Debug)]
pub(crate) struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards every connection to `target`.
    pub(crate) async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let accept = tokio::spawn(accept_loop(listener, target, Arc::clone(&shared)));
        Proxy {
            addr,
            shared,
            accept,
        }
    }

    /// Where clients connect.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connections were accepted so far.
    pub(crate) fn accepted(&self) -> usize {
        self.shared.connections.lock().unwrap().len()
    }

    /// How many accepted connections (closed ones included) match `matching`.
    pub(crate) fn count(&self, matching: impl Fn(&[u8]) -> bool) -> usize {
        self.select(matching).len()
    }

    /// Black-holes the connections that match now; later connections are forwarded. Returns
    /// how many matched.
    pub(crate) fn black_hole(&self, matching: impl Fn(&[u8]) -> bool) -> usize {
        self.set(matching, Mode::BlackHole)
    }

    /// Resets (RST) the connections that match now. Returns how many matched.
    pub(crate) fn reset(&self, matching: impl Fn(&[u8]) -> bool) -> usize {
        self.set(matching, Mode::Reset)
    }

    /// Delays every chunk of the connections that match now by `by`. Returns how many matched.
    pub(crate) fn delay(&self, matching: impl Fn(&[u8]) -> bool, by: Duration) -> usize {
        self.set(matching, Mode::Delay(by))
    }

    fn select(&self, matching: impl Fn(&[u8]) -> bool) -> Vec<Arc<Connection>> {
        let connections = self.shared.connections.lock().unwrap();
        connections
            .iter()
            .filter(|connection| matching(&connection.client_bytes.lock().unwrap()))
            .cloned()
            .collect()
    }

    fn set(&self, matching: impl Fn(&[u8]) -> bool, mode: Mode) -> usize {
        let selected = self.select(matching);
        for connection in &selected {
            connection.mode.send_replace(mode);
        }
        selected.len()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        for connection in self.shared.connections.lock().unwrap().iter() {
            for task in connection.tasks.lock().unwrap().iter() {
                task.abort();
            }
        }
    }
}

/// Whether `haystack` contains `needle`.
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

async fn accept_loop(listener: TcpListener, target: SocketAddr, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let Ok(server) = TcpStream::connect(target).await else {
            // Nothing to forward to: the client sees its connection closed.
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let (mode, _) = watch::channel(Mode::Forward);
        let connection = Arc::new(Connection {
            client_bytes: Mutex::new(Vec::new()),
            mode,
            tasks: Mutex::new(Vec::new()),
        });
        let (client_read, client_write) = client.into_split();
        let (server_read, server_write) = server.into_split();
        let up = tokio::spawn(pump(
            client_read,
            server_write,
            Arc::clone(&connection),
            true,
        ));
        let down = tokio::spawn(pump(
            server_read,
            client_write,
            Arc::clone(&connection),
            false,
        ));
        connection
            .tasks
            .lock()
            .unwrap()
            .extend([up.abort_handle(), down.abort_handle()]);
        shared.connections.lock().unwrap().push(connection);
    }
}

/// One direction of one connection. `upstream`: client to server (what is recorded).
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    connection: Arc<Connection>,
    upstream: bool,
) {
    let mut mode = connection.mode.subscribe();
    let mut buffer = vec![0_u8; 16 * 1024];
    let mut ended = false;
    loop {
        let current = *mode.borrow_and_update();
        if current == Mode::Reset {
            // SO_LINGER 0: closing sends RST. The write half must not send a FIN first, so it
            // is forgotten (the socket closes when the other direction drops its read half).
            let _ = from.as_ref().set_zero_linger();
            to.forget();
            drop(from);
            return;
        }
        if ended {
            // The end of stream was swallowed by a black hole: keep the socket open, quietly,
            // until the mode changes (a reset) or the proxy stops.
            if mode.changed().await.is_err() {
                return;
            }
            continue;
        }
        tokio::select! {
            changed = mode.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            read = from.read(&mut buffer) => {
                let n = match read {
                    Ok(0) | Err(_) => {
                        if current == Mode::BlackHole {
                            ended = true;
                            continue;
                        }
                        let _ = to.shutdown().await;
                        return;
                    }
                    Ok(n) => n,
                };
                let chunk = &buffer[..n];
                if upstream {
                    let mut kept = connection.client_bytes.lock().unwrap();
                    let room = KEPT_BYTES.saturating_sub(kept.len());
                    kept.extend_from_slice(&chunk[..n.min(room)]);
                }
                // The mode may have changed while the read was pending.
                let now = *mode.borrow();
                match now {
                    Mode::BlackHole | Mode::Reset => continue,
                    Mode::Delay(by) => tokio::time::sleep(by).await,
                    Mode::Forward => {}
                }
                if to.write_all(chunk).await.is_err() {
                    return;
                }
            }
        }
    }
}
