//! The tonic demo: the `WhoAmI` service behind the same [`SilentLoginLayer`]. A call logs in by
//! carrying the JSAPI code in `x-auth-code` metadata; later calls carry
//! `authorization: Bearer <token>`. [`serve`] runs it in-process.
//!
//! [`SilentLoginLayer`]: silent_login::SilentLoginLayer

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use silent_login::Identity;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

use crate::backend::RunningBackend;
use crate::config::Config;
use crate::proto::who_am_i_server::{WhoAmI, WhoAmIServer};
use crate::proto::{GetRequest, User};
use crate::StartError;

/// `WhoAmI`: answers with the identity the layer put in the request's extensions.
#[derive(Clone, Copy, Debug, Default)]
pub struct WhoAmIService;

#[tonic::async_trait]
impl WhoAmI for WhoAmIService {
    async fn get(&self, request: Request<GetRequest>) -> Result<Response<User>, Status> {
        let identity = request.extensions().get::<Identity>().ok_or_else(|| {
            // The layer runs in required mode, so this only happens if it was left out.
            Status::unauthenticated("no identity: is the SilentLoginLayer in front of WhoAmI?")
        })?;
        Ok(Response::new(User::from(identity)))
    }
}

impl From<&Identity> for User {
    fn from(identity: &Identity) -> Self {
        Self {
            provider: identity.provider.as_str().to_owned(),
            user_id: identity.user_id.clone(),
            union_id: identity.union_id.clone().unwrap_or_default(),
            open_id: identity.open_id.clone().unwrap_or_default(),
            name: identity.name.clone().unwrap_or_default(),
            tenant: identity.tenant.clone().unwrap_or_default(),
            is_admin: identity.is_admin,
        }
    }
}

/// A running tonic demo.
#[derive(Debug)]
pub struct GrpcServer {
    addr: SocketAddr,
    backend: RunningBackend,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl GrpcServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, what a client connects to.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The platform it logs in with.
    pub fn backend(&self) -> &RunningBackend {
        &self.backend
    }

    /// Stops serving and stops the emulator.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.join().await
    }

    /// Serves until `signal` resolves, then shuts down gracefully (open calls finish): the
    /// binary's main loop with [`shutdown_signal`](crate::shutdown_signal).
    pub async fn serve_until(mut self, signal: impl Future<Output = ()>) -> io::Result<()> {
        tokio::select! {
            served = &mut self.task => served
                .map_err(io::Error::other)?
                .map_err(io::Error::other),
            () = signal => self.shutdown().await,
        }
    }

    async fn join(&mut self) -> io::Result<()> {
        (&mut self.task)
            .await
            .map_err(io::Error::other)?
            .map_err(io::Error::other)
    }
}

/// Starts the demo on `config.listen` (port 0: a free port), with the emulator when the
/// configuration has no credentials.
pub async fn serve(config: Config) -> Result<GrpcServer, StartError> {
    let backend = RunningBackend::start(&config).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|error| StartError::Listen(config.listen, error))?;
    let addr = listener
        .local_addr()
        .map_err(|error| StartError::Listen(config.listen, error))?;
    let (shutdown, signal) = oneshot::channel::<()>();
    let router = tonic::transport::Server::builder()
        .layer(backend.layer())
        .add_service(WhoAmIServer::new(WhoAmIService));
    let task = tokio::spawn(async move {
        router
            .serve_with_incoming_shutdown(TcpIncoming::from(listener), async {
                let _ = signal.await;
            })
            .await
    });
    Ok(GrpcServer {
        addr,
        backend,
        shutdown: Some(shutdown),
        task,
    })
}
