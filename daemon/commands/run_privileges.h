// How `run` gives up privileges (docs/DEPLOYMENT.md, "Capabilities at run
// time"): the HTTP server's threads never hold a capability, and after the
// hooks are attached the daemon keeps only what tracing a scheduler
// registered later needs.
#pragma once

#include "exporters/prometheus/metrics_server.h"
#include "util/result.h"

#include <memory>
#include <string_view>

namespace scx_custody::commands {

// MetricsServer::start() from a short-lived thread that first drops every
// capability: the HTTP threads it starts inherit none.
Result<prom::MetricsServer>
start_server_without_capabilities(std::string_view listen,
                                  std::shared_ptr<const prom::MetricSet> metrics,
                                  prom::HealthCheck health, prom::LogSink log);

// Called once the kernel hooks are attached: the calling (audit) thread keeps
// CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN. A failure is logged, not fatal:
// the audit is as valid, only less contained.
void shed_capabilities_after_attach();

} // namespace scx_custody::commands
