// MetricsServer: the HTTP endpoint of `scx-custody run`, on one port, read-only:
//   /metrics  the registry in the Prometheus text exposition format
//   /healthz  200 "ok", or 503 with the health check's reason
//   /         an HTML index linking the two
// Any other path is 404; on these three, any method but GET and HEAD is 405. The
// server bounds what a client can hold (workers, request timeout, request size:
// see metrics_server.cpp), so stalled or hostile connections cannot starve a
// scrape for long (tests/prometheus/check_hostile_requests.py).
//
// It serves a MetricSet (the one CustodyCollector and SelfMetrics fill) through
// civetweb, the HTTP server prometheus-cpp's own Exposer is built on: the Exposer
// has no way to add a /healthz handler, so the two handlers are registered on
// civetweb directly.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "health.h"
#include "listen_address.h"
#include "metric_set.h"
#include "util/result.h"

namespace scx_custody::prom {

// Receives civetweb's own messages after start-up (a client that went away, a
// malformed request...), on the HTTP threads. Route them to a debug log.
using LogSink = std::function<void(std::string_view message)>;

class MetricsServer {
  public:
    // Validates `listen` (parse_listen_address), makes sure the address can be bound,
    // then serves until the server is destroyed or stop() is called.
    // Errors carry a one-line cause: ExitCode::Usage for a malformed address,
    // ExitCode::CannotRun when it cannot be bound (in use, not a local address,
    // privileged port).
    // An empty `health` makes /healthz always answer "ok".
    static Result<MetricsServer> start(std::string_view listen,
                                       std::shared_ptr<const MetricSet> metrics, HealthCheck health,
                                       LogSink log = {});
    static Result<MetricsServer> start(const ListenAddress& listen,
                                       std::shared_ptr<const MetricSet> metrics, HealthCheck health,
                                       LogSink log = {});

    MetricsServer(MetricsServer&&) noexcept;
    MetricsServer& operator=(MetricsServer&&) noexcept;
    ~MetricsServer();

    // The address served; with port 0 requested, the port the kernel picked.
    const ListenAddress& address() const;
    // "http://127.0.0.1:9476/metrics"
    std::string url(std::string_view path = "/metrics") const;

    // Stops serving and waits for the HTTP threads. Idempotent.
    void stop();

    // Opaque; public only so that civetweb's C callbacks can name it.
    struct Impl;

  private:
    explicit MetricsServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace scx_custody::prom
