//! The thread the live connections run on: one single-threaded runtime, like a broker's event
//! loop. An idle fleet then costs an `epoll_wait` and the frame's own system calls per
//! heartbeat, without the hand-offs between worker threads a multi-threaded runtime makes for
//! every wake-up. Handshakes, the portal and the database stay on the main runtime, whose
//! threads use every core for the signatures of a reconnect storm.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// The live connections' thread. [`EventLoop::stop`] (or dropping it) ends the thread and every
/// task still on it.
#[derive(Debug)]
pub struct EventLoop {
    handle: Handle,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    /// Tasks running on the loop.
    tasks: Arc<AtomicUsize>,
}

/// Counts a task on the loop while it lives.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl EventLoop {
    /// Starts the thread.
    pub fn start() -> io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("rekey-gateway".into())
            .spawn(move || {
                // Ends when told to, or when the sender is dropped.
                let _ = runtime.block_on(stopped);
            })?;
        Ok(Self {
            handle,
            stop: Mutex::new(Some(stop)),
            tasks: Arc::default(),
        })
    }

    /// Moves `stream` (registered with the current runtime) onto the loop's runtime.
    pub fn adopt(&self, stream: TcpStream) -> io::Result<TcpStream> {
        let stream = stream.into_std()?;
        let _inside = self.handle.enter();
        TcpStream::from_std(stream)
    }

    /// Runs `task` on the loop.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.tasks.fetch_add(1, Ordering::AcqRel);
        let running = Running(self.tasks.clone());
        self.handle.spawn(async move {
            let _running = running;
            task.await;
        });
    }

    /// Waits (up to `limit`) until every task on the loop ended, then ends the thread.
    pub async fn stop(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.tasks.load(Ordering::Acquire) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.stop_now();
    }

    fn stop_now(&self) {
        let stop = self.stop.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        self.stop_now();
    }
}
